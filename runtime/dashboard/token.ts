import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { ConfigError } from "../util/errors.js";

/**
 * The dashboard's token: STRMBRKR_DASHBOARD_TOKEN when a scrape config or a bookmark needs it to
 * stay the same, else 32 random characters, new each run (as Jupyter's).
 */
export function dashboardToken(env: NodeJS.ProcessEnv = process.env): string {
  const fixed = env.STRMBRKR_DASHBOARD_TOKEN;
  if (fixed === undefined || fixed === "") return randomBytes(24).toString("base64url");
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(fixed))
    throw new ConfigError("STRMBRKR_DASHBOARD_TOKEN: must be 16-256 letters, digits, '_' or '-' (e.g. from `openssl rand -hex 16`)");
  return fixed;
}

/** Whether `given` is the token, in time that does not depend on how much of it is right (both are hashed to one length first). */
export function isToken(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(token), digest(given));
}
