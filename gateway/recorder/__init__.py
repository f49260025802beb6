"""The recorder: a history store of every state message the gateway accepts (CONTRACT.md v3).

Pure core: :mod:`records` (the data), :mod:`bucketing`, :mod:`retention`, :mod:`coverage`,
:mod:`step` and :mod:`url`; the store interface :mod:`store`; adapters :mod:`sqlite_store` and
:mod:`postgres_store`; the asyncio edge that feeds a store from the intake, :mod:`recorder`.
"""
