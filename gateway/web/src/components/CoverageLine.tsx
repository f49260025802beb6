/** Whether the device's recorded history is complete ("complete: 12,345 readings recorded, none
 * missing" or "3 readings missing"), from `GET /api/devices/{dev}/coverage`. */
import { useEffect, useState } from "react";

import { getCoverage } from "../api/client";
import type { Coverage } from "../api/recorder";
import { coverageText } from "../state/series";

export function CoverageLine({ device, generation }: { device: string; generation: number }) {
  const [coverage, setCoverage] = useState<Coverage | null | "none">(null);
  useEffect(() => {
    const abort = new AbortController();
    getCoverage(device, abort.signal).then(setCoverage, () => {
      if (!abort.signal.aborted) setCoverage("none"); // a gateway without the recorder
    });
    return () => {
      abort.abort();
    };
  }, [device, generation]);
  if (coverage === null || coverage === "none") return null;
  const missing = coverage.missing.length > 0;
  return (
    <p className={missing ? "coverage coverage-missing" : "coverage"} data-coverage={missing ? "missing" : "complete"}>
      History {coverageText(coverage)}
      {coverage.first_seq !== null && coverage.last_seq !== null
        ? ` (seq ${coverage.first_seq}–${coverage.last_seq})`
        : ""}
    </p>
  );
}
