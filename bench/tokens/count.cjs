// Reads JSON lines {"text": ...} on stdin, prints {"o200k": n, "claude": n} per line.
// Used by bench/bench_tokens.py only (measurement, never at run time).
const readline = require("readline");
const { encode } = require("gpt-tokenizer/cjs/encoding/o200k_base");
const { countTokens } = require("@anthropic-ai/tokenizer");
const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const { text } = JSON.parse(line);
  process.stdout.write(JSON.stringify({ o200k: encode(text).length, claude: countTokens(text) }) + "\n");
});
