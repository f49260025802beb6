/**
 * A device page's history: one request per chart, all at once, for the window shown at the tier
 * `series.ts` picks (a 30-day page of four charts is four requests of ≤ 720 buckets each, never
 * one request per reading or per sensor of the whole fleet). Binary points ask for their raw
 * changes instead (the event list). Re-asked when the range changes; a new range aborts what the
 * old one still waits for.
 *
 * A gateway without the recorder answers the v2 history (raw readings, no `step`) or 404: the
 * page then shows what there is, or "no history", never an error.
 */
import { useEffect, useState } from "react";

import { getPointHistory, HttpError, type PointRole } from "../api/client";
import type { PointHistory, RawReading } from "../api/recorder";
import { maxPointsFor, stepFor, toSeries, type Series } from "../state/series";

export interface ChartRequest {
  role: PointRole;
  point: string;
  binary: boolean;
  /** Silence (s) after which a raw line is cut; `null` when silence is normal for the point. */
  gapAfterS: number | null;
}

export type PointHistoryState =
  | { status: "loading" }
  | { status: "none"; reason: string }
  | { status: "ok"; series: Series; readings: RawReading[]; step: string; truncated: boolean };

/** A v2 answer has `readings` and no `step`: raw readings. */
function normalise(answer: PointHistory | { readings: RawReading[] }): PointHistory {
  if ("step" in answer) return answer;
  return { device: "", from: "", to: "", step: "raw", readings: answer.readings, truncated: false };
}

export function chartKey(role: PointRole, point: string): string {
  return `${role}/${point}`;
}

export function useHistory(
  device: string,
  requests: readonly ChartRequest[],
  from: number,
  to: number,
  /** Changes when the page wants the same window asked again (a zoom, a new preset). */
  generation: string,
): Readonly<Record<string, PointHistoryState>> {
  // The set of charts, as a string: a new array of the same points asks nothing new.
  const wanted = requests.map((r) => `${chartKey(r.role, r.point)}:${r.binary}:${r.gapAfterS}`).join(",");
  // Answers belong to the question they answer: those of an older one read as "loading".
  const question = `${device}|${wanted}|${from}|${to}|${generation}`;
  const [answers, setAnswers] = useState<{ question: string; byChart: Record<string, PointHistoryState> }>({
    question: "",
    byChart: {},
  });
  useEffect(() => {
    const abort = new AbortController();
    const step = stepFor(from, to);
    const answer = (key: string, state: PointHistoryState): void => {
      setAnswers((current) =>
        current.question === question
          ? { question, byChart: { ...current.byChart, [key]: state } }
          : { question, byChart: { [key]: state } },
      );
    };
    for (const request of requests) {
      const key = chartKey(request.role, request.point);
      const query = request.binary
        ? { from: new Date(from), to: new Date(to), step: "raw" as const, maxPoints: 500 }
        : { from: new Date(from), to: new Date(to), step, maxPoints: maxPointsFor(step) };
      getPointHistory(device, request.role, request.point, query, abort.signal)
        .then((raw) => {
          const history = normalise(raw);
          answer(key, {
            status: "ok",
            series: toSeries(history, request.gapAfterS),
            readings: history.step === "raw" ? history.readings : [],
            step: history.step,
            truncated: history.step === "raw" && history.truncated === true,
          });
        })
        .catch((error: unknown) => {
          if (abort.signal.aborted) return;
          const reason =
            error instanceof HttpError && error.status === 404
              ? "no history recorded"
              : "history could not be loaded";
          answer(key, { status: "none", reason });
        });
    }
    return () => {
      abort.abort();
    };
    // `question` stands for `requests` and the window (see above).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [question]);
  return answers.question === question ? answers.byChart : {};
}
