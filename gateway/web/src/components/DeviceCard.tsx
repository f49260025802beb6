/** One device: its name, online/offline with "last seen … ago", its sensors and its actuators. */
import type { Value } from "../api/types";
import { formatAgo, formatTimestamp } from "../state/format";
import { commandKey, type Command, type DeviceState } from "../state/reducer";
import { ActuatorControl } from "./ActuatorControl";
import { SensorRow } from "./SensorRow";

/** Points in the order the agent describes them, then any the meta does not (yet) name. */
export function pointOrder(described: object | undefined, reported: object): string[] {
  const first = Object.keys(described ?? {});
  const rest = Object.keys(reported)
    .filter((id) => !first.includes(id))
    .sort();
  return [...first, ...rest];
}

export function DeviceCard({
  device,
  commands,
  now,
  canCommand,
  onSend,
}: {
  device: DeviceState;
  commands: Readonly<Record<string, Command>>;
  now: number;
  /** False for a viewer token: commands would be refused (403), so the controls are read-only. */
  canCommand: boolean;
  onSend: (device: string, actuator: string, value: Value) => void;
}) {
  const titleId = `device-${device.id}-title`;
  const name = device.meta?.name ?? device.id;
  const sensors = pointOrder(device.meta?.sensors, device.sensors);
  const actuators = pointOrder(device.meta?.actuators, device.actuators);
  return (
    <article
      className={device.online ? "device" : "device device-offline"}
      aria-labelledby={titleId}
      data-device={device.id}
      data-online={device.online}
    >
      <header className="device-header">
        <h2 id={titleId}>{name}</h2>
        <span className={device.online ? "badge badge-online" : "badge badge-offline"}>
          {device.online ? "online" : "offline"}
        </span>
        <p className="device-details">
          {name !== device.id ? <span>{device.id}</span> : null}
          {device.meta ? <span>{device.meta.model}</span> : null}
          <span className="last-seen" title={formatTimestamp(device.lastSeen)}>
            last seen {formatAgo(device.lastSeen, now)}
          </span>
        </p>
      </header>
      {sensors.length > 0 ? (
        <section aria-label={`${name} sensors`}>
          <h3 className="section-title">Sensors</h3>
          <ul className="points">
            {sensors.map((id) => (
              <SensorRow
                key={id}
                id={id}
                point={device.sensors[id]}
                meta={device.meta?.sensors?.[id]}
                history={device.history[id] ?? []}
                now={now}
              />
            ))}
          </ul>
        </section>
      ) : null}
      {actuators.length > 0 ? (
        <section aria-label={`${name} actuators`}>
          <h3 className="section-title">Actuators</h3>
          <ul className="points">
            {actuators.map((id) => (
              <ActuatorControl
                key={id}
                id={id}
                point={device.actuators[id]}
                meta={device.meta?.actuators?.[id]}
                command={commands[commandKey(device.id, id)]}
                online={device.online}
                canCommand={canCommand}
                onSend={(value) => {
                  onSend(device.id, id, value);
                }}
              />
            ))}
          </ul>
        </section>
      ) : null}
    </article>
  );
}
