#!/usr/bin/env node
// Shrinks a built component (issue #13 point 5): its own code, the component's large core module, goes
// through Binaryen's optimiser (what `wasm-opt -O3` does); the component's debugging names are
// dropped; everything else (the small adapter modules, the component's types, imports, exports and
// instances) is copied byte for byte. After rustc's `opt-level = "s"` and LTO, Binaryen's whole-module
// passes still take out about a seventh (README, "Component size"). `-O3`, not `-Oz`: measured, the
// two come within 0.4 % of each other in size, and `-O3` keeps Binaryen from trading speed for bytes
// (measured no slower; README). Run by scripts/build-component, after cargo:
//     scripts/shrink-component.mjs target/wasm32-wasip2/release/cases.wasm target/components/cases.wasm
// Writes the output only when the input is newer (as make does). Needs Node.js and the `binaryen`
// package from package.json (scripts/npm-packages installs it).
import binaryen from "binaryen";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

// The component binary format (component-model Binary.md): this preamble, then sections, each an id,
// its size as unsigned LEB128, and its contents. Id 1 holds a core module.
const COMPONENT_PREAMBLE = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
const CUSTOM = 0;
const CORE_MODULE = 1;
// Modules smaller than this are the adapters and shims that wasm-component-ld generates: nothing to
// gain, so they are left exactly as they are.
const SMALLEST_OPTIMISED = 64 * 1024;

const RUSTC_FEATURES = [
    "MutableGlobals",
    "SignExt",
    "NontrappingFPToInt",
    "BulkMemory",
    "BulkMemoryOpt",
    "ReferenceTypes",
    "Multivalue",
    "CallIndirectOverlong",
].reduce((features, name) => features | binaryen.Features[name], binaryen.Features.MVP);

function readLeb(bytes, at) {
    let value = 0;
    let shift = 0;
    for (;;) {
        const byte = bytes[at++];
        value += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (byte < 0x80) return [value, at];
    }
}

function customName(bytes, at) {
    const [length, start] = readLeb(bytes, at);
    return new TextDecoder().decode(bytes.subarray(start, start + length));
}

function leb(value) {
    const out = [];
    do {
        let byte = value % 128;
        value = Math.floor(value / 128);
        if (value > 0) byte |= 0x80;
        out.push(byte);
    } while (value > 0);
    return Uint8Array.from(out);
}

function optimise(module) {
    const core = binaryen.readBinary(module);
    // What rustc emits for wasm32-wasip2 by default, and no more: with more (GC, say) Binaryen would
    // write its types in encodings a runtime without those proposals refuses.
    core.setFeatures(RUSTC_FEATURES);
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    binaryen.setDebugInfo(false);
    core.optimize();
    if (!core.validate()) throw new Error("Binaryen's output does not validate");
    const out = core.emitBinary();
    core.dispose();
    return out;
}

function shrink(input) {
    if (!COMPONENT_PREAMBLE.every((b, i) => input[i] === b)) {
        throw new Error("not a WebAssembly component (is it a core module?)");
    }
    const parts = [input.subarray(0, COMPONENT_PREAMBLE.length)];
    let optimised = 0;
    for (let at = COMPONENT_PREAMBLE.length; at < input.length; ) {
        const id = input[at];
        const [size, start] = readLeb(input, at + 1);
        const end = start + size;
        if (end > input.length) throw new Error("a section runs past the end of the file");
        if (id === CUSTOM && customName(input, start) === "component-name") {
            // Debugging names only (about 9 kB): the core modules' names are stripped already.
        } else if (id === CORE_MODULE && size >= SMALLEST_OPTIMISED) {
            const module = optimise(input.subarray(start, end));
            parts.push(Uint8Array.of(CORE_MODULE), leb(module.length), module);
            optimised++;
        } else {
            parts.push(input.subarray(at, end));
        }
        at = end;
    }
    if (optimised === 0) throw new Error("no core module large enough to optimise");
    return Buffer.concat(parts);
}

const [source, target] = process.argv.slice(2);
if (!source || !target) {
    console.error("usage: scripts/shrink-component.mjs <built component> <output>");
    process.exit(2);
}
const fresh = (() => {
    try {
        return statSync(target).mtimeMs >= statSync(source).mtimeMs;
    } catch {
        return false;
    }
})();
if (!fresh) {
    const input = readFileSync(source);
    const output = shrink(input);
    mkdirSync(dirname(target), { recursive: true });
    // Written whole, then renamed: a reader never sees half a component.
    writeFileSync(`${target}.partial`, output);
    renameSync(`${target}.partial`, target);
    console.error(`shrunk ${source}: ${input.length} → ${output.length} bytes (${target})`);
}
