// Subscribes to one analysis job with the official Socket.IO JavaScript client.
//
// Usage: node client.mjs <gateway_url> <job_id> [timeout_seconds]
//
// Prints one JSON line per received job event, {"event": name, "data": payload},
// plus one {"event": "ack", "data": ...} line for the subscribe acknowledgement.
// Exits 0 once a terminal event (complete, error, cancelled) has arrived and the
// subscribe was acknowledged; 2 on timeout; 3 if the connection fails; 64 on bad usage.
// An API key, if the gateway needs one, comes from CONVOSCOPE_API_KEY (never argv,
// so it does not show up in process listings).

import { io } from "socket.io-client";

const JOB_EVENTS = ["progress", "complete", "error", "cancelled"];
const TERMINAL_EVENTS = new Set(["complete", "error", "cancelled"]);

const EXIT_OK = 0;
const EXIT_TIMEOUT = 2;
const EXIT_CONNECT_FAILED = 3;
const EXIT_USAGE = 64;

function parseArgs(argv) {
  const [url, jobId, timeoutArg = "60"] = argv;
  const timeoutSeconds = Number(timeoutArg);
  if (!url || !jobId || !(timeoutSeconds > 0)) {
    process.stderr.write("usage: node client.mjs <gateway_url> <job_id> [timeout_seconds]\n");
    process.exit(EXIT_USAGE);
  }
  return { url, jobId, timeoutSeconds };
}

function emitLine(event, data) {
  process.stdout.write(`${JSON.stringify({ event, data })}\n`);
}

function main() {
  const { url, jobId, timeoutSeconds } = parseArgs(process.argv.slice(2));
  const apiKey = process.env.CONVOSCOPE_API_KEY;
  const socket = io(url, {
    reconnection: false,
    auth: apiKey ? { api_key: apiKey } : {},
  });

  let terminalSeen = false;
  let acked = false;

  const finish = (code, reason) => {
    clearTimeout(timer);
    if (reason) process.stderr.write(`${reason}\n`);
    socket.disconnect();
    // Let stdout drain before exiting so no event line is lost when piped.
    process.stdout.write("", () => process.exit(code));
  };

  // The server emits the catch-up events before it acknowledges, so a terminal
  // event can arrive first; wait for both so the ack line is always printed.
  const maybeFinish = () => {
    if (terminalSeen && acked) finish(EXIT_OK);
  };

  const timer = setTimeout(
    () => finish(EXIT_TIMEOUT, `timed out after ${timeoutSeconds} s`),
    timeoutSeconds * 1000,
  );

  for (const name of JOB_EVENTS) {
    socket.on(name, (data) => {
      emitLine(name, data);
      if (TERMINAL_EVENTS.has(name)) {
        terminalSeen = true;
        maybeFinish();
      }
    });
  }

  socket.on("connect_error", (err) => {
    finish(EXIT_CONNECT_FAILED, `connect failed: ${err.message}`);
  });

  socket.on("connect", () => {
    socket.emit("subscribe", { job_id: jobId }, (ack) => {
      emitLine("ack", ack);
      acked = true;
      maybeFinish();
    });
  });
}

main();
