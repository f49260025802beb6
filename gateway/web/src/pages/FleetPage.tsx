/**
 * The fleet: one compact row per device, problems first; search by name or id, filter by state,
 * sort. Long lists are virtualized (only the rows on screen, plus a few, are in the DOM), and
 * rows are memoized, so 1,000 devices at 1,000 readings/s stay smooth (bench/dashboard/).
 */
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useId, useLayoutEffect, useMemo, useRef, useState } from "react";

import { FleetRow } from "../components/FleetRow";
import { selectFleet, type FleetEntry, type FleetQuery, type FleetSort } from "../state/fleet";
import { HEALTH_LABELS, HEALTH_ORDER, type Health } from "../state/health";
import type { State } from "../state/reducer";

/** A row's height before it is measured (px); the virtualizer corrects it after layout. */
const ROW_ESTIMATE = 76;

export function FleetPage({
  entries,
  state,
  query,
  onQuery,
}: {
  entries: readonly FleetEntry[];
  state: State;
  query: FleetQuery;
  onQuery: (query: FleetQuery) => void;
}) {
  // The order changes when a device's state, title or alerts do, not with every reading: sort
  // 1,000 devices only then, and look the rows' fresh values up by id (bench/dashboard/).
  const orderKey =
    query.sort === "last-seen"
      ? entries
      : entries.map((e) => `${e.device.id}\u0001${e.health}\u0001${e.alerts}\u0001${e.title}`).join("\u0002");
  const order = useMemo(
    () => selectFleet(entries, query).map((entry) => entry.device.id),
    // `orderKey` stands for what of `entries` the order depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [orderKey, query],
  );
  const rows = useMemo(() => {
    const byId = new Map(entries.map((entry) => [entry.device.id, entry]));
    return order.flatMap((id) => byId.get(id) ?? []);
  }, [entries, order]);
  if (entries.length === 0) {
    return (
      <p className="empty">
        {state.synced
          ? "No devices yet. Start an agent (for a try without hardware: pigw-agent --simulate) and it appears here."
          : "Loading devices…"}
      </p>
    );
  }
  return (
    <section aria-labelledby="fleet-title" className="fleet">
      <h2 id="fleet-title" className="visually-hidden">
        Fleet
      </h2>
      <FleetControls query={query} onQuery={onQuery} shown={rows.length} total={entries.length} />
      {rows.length === 0 ? (
        <p className="empty">No device matches.</p>
      ) : (
        <FleetList rows={rows} now={state.now} />
      )}
    </section>
  );
}

function FleetControls({
  query,
  onQuery,
  shown,
  total,
}: {
  query: FleetQuery;
  onQuery: (query: FleetQuery) => void;
  shown: number;
  total: number;
}) {
  const searchId = useId();
  const stateId = useId();
  const sortId = useId();
  return (
    <div className="fleet-controls" role="search">
      <label htmlFor={searchId}>Search</label>
      <input
        id={searchId}
        type="search"
        placeholder="name or id"
        value={query.search}
        onChange={(event) => {
          onQuery({ ...query, search: event.target.value });
        }}
      />
      <label htmlFor={stateId}>State</label>
      <select
        id={stateId}
        value={query.health ?? ""}
        onChange={(event) => {
          onQuery({ ...query, health: event.target.value === "" ? null : (event.target.value as Health) });
        }}
      >
        <option value="">all</option>
        {HEALTH_ORDER.map((health) => (
          <option key={health} value={health}>
            {HEALTH_LABELS[health]}
          </option>
        ))}
      </select>
      <label htmlFor={sortId}>Sort</label>
      <select
        id={sortId}
        value={query.sort}
        onChange={(event) => {
          onQuery({ ...query, sort: event.target.value as FleetSort });
        }}
      >
        <option value="problems">problems first</option>
        <option value="name">name</option>
        <option value="last-seen">last seen</option>
      </select>
      <p className="fleet-count" aria-live="polite" data-shown={shown}>
        {shown === total ? `${total} devices` : `${shown} of ${total} devices`}
      </p>
    </div>
  );
}

function FleetList({ rows, now }: { rows: readonly FleetEntry[]; now: number }) {
  const listRef = useRef<HTMLUListElement>(null);
  const [offset, setOffset] = useState(0);
  useLayoutEffect(() => {
    setOffset(listRef.current?.offsetTop ?? 0);
  }, []);
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 8,
    scrollMargin: offset,
    getItemKey: (index) => rows[index]?.device.id ?? index,
  });
  const items = virtualizer.getVirtualItems();
  return (
    <ul
      ref={listRef}
      className="fleet-list"
      aria-label="Devices"
      style={{ height: virtualizer.getTotalSize(), position: "relative" }}
    >
      {items.map((item) => {
        const entry = rows[item.index];
        if (entry === undefined) return null;
        return (
          <li
            key={item.key}
            data-index={item.index}
            ref={virtualizer.measureElement}
            className="fleet-item"
            style={{ transform: `translateY(${item.start - virtualizer.options.scrollMargin}px)` }}
            aria-setsize={rows.length}
            aria-posinset={item.index + 1}
          >
            <FleetRow entry={entry} now={now} />
          </li>
        );
      })}
    </ul>
  );
}
