import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { getCapabilities } from "./api/capabilities";
import { App } from "./App";
import "./styles.css";

// Asked at start-up, in parallel with the session and the stream: a deep link to a device page
// then waits for no extra round trip before it asks for history.
void getCapabilities();

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
