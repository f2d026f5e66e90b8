package dev.moe4j.internal.template;

/** A Python slice object ({@code start:stop:step}); each part is a Long, Boolean or null. */
record PySlice(Object start, Object stop, Object step) {
}
