/**
 * A small strict JSON parser ({@link dev.moe4j.internal.json.JsonParser}) and typed, path-aware access to its values
 * ({@link dev.moe4j.internal.json.JsonValues}), so that core can read HF {@code tokenizer.json} files without a JSON
 * library dependency.
 */
package dev.moe4j.internal.json;
