/**
 * One actuator: a switch (relay, LED, buzzer) or a slider (PWM), and what became of the last
 * command sent from this page: pending → acknowledged, or failed with the reason.
 *
 * The control always shows the device's reported state (the `actuator` events), never the wish:
 * a command that is refused leaves the switch where the device really is. While a switch's
 * command is pending the switch is locked (seven quick clicks are one toggle, not four); a slider
 * keeps its text on the dragged value, and only its last position is sent (useDashboard.ts).
 * An outcome carries the time it arrived, and goes when the state changes elsewhere (reducer.ts).
 */
import { useEffect, useId, useRef, useState } from "react";

import type { PointMeta, Value } from "../api/types";
import { formatClock, formatDuty, formatValue, pointLabel } from "../state/format";
import type { Command, Point } from "../state/reducer";

/** How long a slider waits after the last movement before it sends (one command per gesture). */
const SLIDER_SETTLE_MS = 250;

interface Props {
  id: string;
  point: Point | undefined;
  meta: PointMeta | undefined;
  command: Command | undefined;
  online: boolean;
  canCommand: boolean;
  /** The clock, for the outcome's time ("on: acknowledged 14:02:03"). */
  now: number;
  onSend: (value: Value) => void;
}

export function ActuatorControl(props: Props) {
  const dimmable = props.meta?.kind === "pwm_led" || typeof props.point?.value === "number";
  return dimmable ? <Slider {...props} /> : <Switch {...props} />;
}

function Switch({ id, point, meta, command, online, canCommand, now, onSend }: Props) {
  const statusId = useId();
  const on = point?.value === true;
  const pending = command?.status === "pending";
  const label = pointLabel(id, meta);
  const settable = meta?.settable !== false;
  return (
    <li className="point actuator" data-actuator={id} data-seq={point?.seq ?? ""}>
      <button
        type="button"
        role="switch"
        className="switch"
        aria-checked={on}
        aria-describedby={statusId}
        aria-disabled={pending || undefined}
        aria-busy={pending || undefined}
        disabled={!online || !settable || !canCommand}
        onClick={() => {
          if (!pending) onSend(!on);
        }}
      >
        <span className="switch-track" aria-hidden="true">
          <span className="switch-thumb" />
        </span>
        <span className="point-name">{label}</span>
      </button>
      <span className="point-value" data-value={point?.value == null ? "" : String(point.value)}>
        {formatValue(point?.value ?? null, null)}
      </span>
      <CommandStatus
        id={statusId}
        command={command}
        note={controlNote(online, settable, canCommand)}
        now={now}
        format={(v) => formatValue(v, null)}
      />
    </li>
  );
}

function Slider({ id, point, meta, command, online, canCommand, now, onSend }: Props) {
  const inputId = useId();
  const statusId = useId();
  const reported = typeof point?.value === "number" ? point.value : 0;
  // What the user dragged to, the device state it started from and the command outcome known then.
  const [draft, setDraft] = useState<{
    value: number;
    seq: number | null;
    command: Command | undefined;
  } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  // The draft shows until the device reports a new state with no command pending, or a command
  // sent since then fails.
  const failedSince = command !== draft?.command && command?.status === "failed";
  const waiting = draft?.seq === (point?.seq ?? null) || command?.status === "pending";
  const shown = draft !== null && waiting && !failedSince ? draft.value : reported;
  const settable = meta?.settable !== false;
  return (
    <li className="point actuator" data-actuator={id} data-seq={point?.seq ?? ""}>
      <label className="point-name" htmlFor={inputId}>
        {pointLabel(id, meta)}
      </label>
      <input
        id={inputId}
        type="range"
        className="slider"
        min={0}
        max={1}
        step={0.01}
        value={shown}
        aria-valuetext={formatDuty(shown)}
        aria-describedby={statusId}
        disabled={!online || !settable || !canCommand}
        onChange={(event) => {
          const value = Number(event.target.value);
          setDraft({ value, seq: point?.seq ?? null, command });
          if (timer.current !== null) clearTimeout(timer.current);
          timer.current = setTimeout(() => {
            timer.current = null;
            onSend(value);
          }, SLIDER_SETTLE_MS);
        }}
      />
      <output className="point-value" htmlFor={inputId} data-value={String(reported)}>
        {formatDuty(shown)}
      </output>
      <CommandStatus
        id={statusId}
        command={command}
        note={controlNote(online, settable, canCommand)}
        now={now}
        format={(v) => (typeof v === "number" ? formatDuty(v) : formatValue(v, null))}
      />
    </li>
  );
}

/** Why a control is read-only, if it is. */
function controlNote(online: boolean, settable: boolean, canCommand: boolean): string {
  if (!online) return "device offline";
  if (!settable) return "read-only output";
  if (!canCommand) return "view only: your token has the viewer role";
  return "";
}

function CommandStatus({
  id,
  command,
  note,
  now,
  format,
}: {
  id: string;
  command: Command | undefined;
  note: string;
  now: number;
  format: (value: Value) => string;
}) {
  let text = "";
  const at = command?.settledAt != null ? ` ${formatClock(command.settledAt, now, { seconds: true })}` : "";
  if (command?.status === "pending") text = `Sending ${format(command.value)}…`;
  else if (command?.status === "acknowledged") text = `${format(command.value)}: acknowledged${at}`;
  else if (command?.status === "failed")
    text = `${format(command.value)} failed${at}: ${command.reason ?? "unknown reason"}`;
  else text = note;
  return (
    <span
      id={id}
      className={`command-status command-${command?.status ?? "none"}`}
      role="status"
      data-command={command?.status ?? ""}
    >
      {text}
    </span>
  );
}
