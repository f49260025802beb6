"""Size limits of payloads on the wire. Every consumer refuses a payload over its limit (``oversize``)
before parsing it, so a hostile or broken publisher cannot make anyone allocate without bound."""

from typing import Final

MAX_STATE_BYTES: Final = 4 * 1024  # a state, ack, command, status or replay request
MAX_META_BYTES: Final = 64 * 1024  # a device description with many sensors
MAX_BACKLOG_BYTES: Final = 256 * 1024  # one backlog message (a batch of states)
MAX_BACKLOG_ENTRIES: Final = 1000  # states per backlog message
MAX_REPLAY_SPAN: Final = 10_000  # seqs per replay request (the agent's default retention)
MAX_CID_LENGTH: Final = 128
MAX_TEXT_LENGTH: Final = 256  # names, units, models, versions, error texts
SEQ_LIMIT: Final = 2**53  # seq is a JSON integer in [0, 2^53): exact in every JSON parser
#: What the broker is configured to accept (mosquitto ``max_packet_size``): the largest payload plus
#: room for the topic and MQTT 5 properties.
MAX_PACKET_BYTES: Final = MAX_BACKLOG_BYTES + 4 * 1024
