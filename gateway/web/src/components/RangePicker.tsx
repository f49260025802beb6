/** The device page's time range: presets that end at "now", a custom window, and panning. */
import { useId, useState } from "react";

import { PRESETS, type Preset, type Range } from "../state/series";

/** `datetime-local` wants local time without a zone: "2026-12-02T05:40". */
function localInput(ms: number): string {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return date.toISOString().slice(0, 16);
}

export function RangePicker({
  range,
  from,
  to,
  onRange,
}: {
  range: Range;
  from: number;
  to: number;
  onRange: (range: Range) => void;
}) {
  const fromId = useId();
  const toId = useId();
  const [custom, setCustom] = useState<{ from: string; to: string } | null>(null);
  const span = to - from;
  const shift = (direction: -1 | 1) => {
    const start = from + (direction * span) / 2;
    const end = Math.min(start + span, Date.now());
    onRange({ kind: "custom", from: end - span, to: end });
  };
  return (
    <div className="range-picker" role="group" aria-label="Time range">
      {(Object.keys(PRESETS) as Preset[]).map((preset) => (
        <button
          key={preset}
          type="button"
          className="range-button"
          aria-pressed={range.kind === "preset" && range.preset === preset}
          data-range={preset}
          onClick={() => {
            setCustom(null);
            onRange({ kind: "preset", preset });
          }}
        >
          {preset}
        </button>
      ))}
      <button type="button" className="range-button" onClick={() => { shift(-1); }} aria-label="Earlier">
        ◀
      </button>
      <button
        type="button"
        className="range-button"
        onClick={() => { shift(1); }}
        aria-label="Later"
        disabled={range.kind === "preset"}
      >
        ▶
      </button>
      <button
        type="button"
        className="range-button"
        aria-pressed={range.kind === "custom"}
        data-range="custom"
        onClick={() => {
          setCustom(custom === null ? { from: localInput(from), to: localInput(to) } : null);
        }}
      >
        custom…
      </button>
      {custom !== null ? (
        <form
          className="range-custom"
          onSubmit={(event) => {
            event.preventDefault();
            const start = new Date(custom.from).getTime();
            const end = new Date(custom.to).getTime();
            if (Number.isNaN(start) || Number.isNaN(end) || start >= end) return;
            onRange({ kind: "custom", from: start, to: end });
          }}
        >
          <label htmlFor={fromId}>From</label>
          <input
            id={fromId}
            type="datetime-local"
            value={custom.from}
            onChange={(event) => {
              setCustom({ ...custom, from: event.target.value });
            }}
          />
          <label htmlFor={toId}>to</label>
          <input
            id={toId}
            type="datetime-local"
            value={custom.to}
            onChange={(event) => {
              setCustom({ ...custom, to: event.target.value });
            }}
          />
          <button type="submit" className="range-button">
            Show
          </button>
        </form>
      ) : null}
    </div>
  );
}
