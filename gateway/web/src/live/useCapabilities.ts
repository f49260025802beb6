/** The gateway's optional parts (api/capabilities.ts) as React state: `null` until known. */
import { useEffect, useState } from "react";

import { getCapabilities, type Capabilities } from "../api/capabilities";

export function useCapabilities(): Capabilities | null {
  const [capabilities, setCapabilities] = useState<Capabilities | null>(null);
  useEffect(() => {
    let current = true;
    void getCapabilities().then((answer) => {
      if (current) setCapabilities(answer);
    });
    return () => {
      current = false;
    };
  }, []);
  return capabilities;
}
