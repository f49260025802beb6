/**
 * Shown while the gateway answers 401: one field for an access token. `POST /api/session` turns it
 * into an HttpOnly cookie that the stream and every request then carry (CONTRACT.md, "Auth"); the
 * token itself is never stored by the page.
 */
import { useId, useState } from "react";

export function LoginForm({
  error,
  onLogin,
}: {
  error: string | null;
  onLogin: (token: string) => Promise<void>;
}) {
  const fieldId = useId();
  const errorId = useId();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <main className="login">
      <form
        className="login-form"
        aria-labelledby="login-title"
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          void onLogin(token.trim()).finally(() => {
            setBusy(false);
          });
        }}
      >
        <h1 id="login-title">pigw</h1>
        <p>This gateway asks for an access token. Ask its operator for one.</p>
        <label htmlFor={fieldId}>Access token</label>
        <input
          id={fieldId}
          name="token"
          type="password"
          autoComplete="current-password"
          required
          value={token}
          aria-invalid={error !== null}
          aria-describedby={error !== null ? errorId : undefined}
          onChange={(event) => {
            setToken(event.target.value);
          }}
        />
        <button type="submit" disabled={busy || token.trim() === ""}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p id={errorId} className="login-error" role="alert">
          {error ?? ""}
        </p>
      </form>
    </main>
  );
}
