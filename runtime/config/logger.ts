import { LOG_LEVELS, type LogLevel } from "./config.js";

/** Writes the original's log line format to stderr: time - pid - module - level - message. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  log(level: LogLevel, message: string): void;
}

let threshold = LOG_LEVELS.indexOf((process.env.STRMBRKR_LOGGING_LEVEL?.toUpperCase() as LogLevel) ?? "INFO");
if (threshold < 0) threshold = LOG_LEVELS.indexOf("INFO");

/** Sets the level below which messages are dropped (from the resolved configuration). */
export function setLogLevel(level: LogLevel): void {
  threshold = LOG_LEVELS.indexOf(level);
}

export function getLogger(module: string): Logger {
  const name = `strmbrkr.${module}`;
  const log = (level: LogLevel, message: string): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    process.stderr.write(`${timestamp()} - ${process.pid} - ${name} - ${level} - ${message}\n`);
  };
  return {
    log,
    debug: (message) => log("DEBUG", message),
    info: (message) => log("INFO", message),
    warning: (message) => log("WARNING", message),
    error: (message) => log("ERROR", message),
    critical: (message) => log("CRITICAL", message),
  };
}

/** Python logging's asctime: `2026-11-28 04:07:49,123`, local time. */
function timestamp(): string {
  const now = new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())},${pad(now.getMilliseconds(), 3)}`;
}
