/** The header's totals ("38 online · 2 offline · 1 stale"), each a button that filters the fleet
 * to that state; problems in their colour, first. */
import { HEALTH_LABELS, HEALTH_ORDER, type Health } from "../state/health";
import type { Totals } from "../state/fleet";

export function FleetTotals({
  counts,
  selected,
  onSelect,
}: {
  counts: Totals;
  selected: Health | null;
  onSelect: (health: Health | null) => void;
}) {
  const shown = HEALTH_ORDER.filter((health) => counts[health] > 0);
  if (shown.length === 0) return null;
  return (
    <ul className="totals" aria-label="Devices by state">
      {[...shown].reverse().map((health) => {
        const pressed = selected === health;
        return (
          <li key={health}>
            <button
              type="button"
              className={`total total-${health}`}
              aria-pressed={pressed}
              data-total={health}
              title={pressed ? "Show every device" : `Show only ${HEALTH_LABELS[health]} devices`}
              onClick={() => {
                onSelect(pressed ? null : health);
              }}
            >
              <span className="total-count">{counts[health]}</span> {HEALTH_LABELS[health]}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
