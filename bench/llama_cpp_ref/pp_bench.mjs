// Reference prompt-processing speed of llama.cpp on one GGUF, through
// node-llama-cpp's prebuilt CPU backend (ggml picks its kernels for this CPU at
// run time). Prints one JSON line. Used by scripts/bench-llama-cpp.
//
// Only prompt processing is measured: one decode call of N tokens, where the
// binding's per-call overhead is negligible. Its per-token generation path adds
// milliseconds of JavaScript-side work per token, so it says nothing about
// llama.cpp's generation speed; use llama-bench for that.
import {getLlama} from "node-llama-cpp";

const [modelPath, threads = "2", nPrompt = "512"] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const ctx = await model.createContext({contextSize: Number(nPrompt) + 64, threads: Number(threads),
                                      batchSize: Number(nPrompt), sequences: 1});
const seq = ctx.getSequence();
const words = model.tokenize("The quick brown fox jumps over the lazy dog. Once upon a time there was a little robot. ");
let prompt = [];
while (prompt.length < Number(nPrompt)) prompt = prompt.concat(words);
prompt = prompt.slice(0, Number(nPrompt));
// One warm-up pass (page faults of the mapping), then the measured one.
await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, 16));
await seq.clearHistory();
const t0 = performance.now();
await seq.evaluateWithoutGeneratingNewTokens(prompt);
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({model: modelPath.split("/").pop(), threads: Number(threads), prompt: Number(nPrompt),
                            pp_tps: Number((Number(nPrompt) / seconds).toFixed(1))}));
