package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A one-shot Python generator, as Jinja's {@code map}, {@code select}, {@code selectattr}, {@code unique},
 * {@code items}, {@code batch} ... filters return, or an iterator ({@code reverse}). Like Python's: always truthy, no
 * {@code len()}, no indexing, exhausted after one pass (a second loop over the same value sees nothing), and lazy: a
 * generator's body, errors included, runs only when something iterates it. {@code typeName} and {@code function} are
 * Python's names, for messages and printing.
 */
final class PyIterator {
    private final Supplier<List<Object>> source;
    private final String typeName;
    private final String function;
    private List<Object> items;
    private int next;

    /** @param function the generator function's name (printed as {@code <generator object NAME>}), or null */
    PyIterator(Supplier<List<Object>> source, String typeName, String function) {
        this.source = source;
        this.typeName = typeName;
        this.function = function;
    }

    /** An iterator over values already computed (Python's {@code reversed(...)}, {@code iter(...)}). */
    static PyIterator over(List<Object> items, String typeName) {
        return new PyIterator(() -> items, typeName, null);
    }

    /** A generator whose body runs on first iteration. */
    static PyIterator generator(String function, Supplier<List<Object>> body) {
        return new PyIterator(body, "generator", function);
    }

    String typeName() {
        return typeName;
    }

    String repr() {
        return function != null ? "<" + typeName + " object " + function + ">" : "<" + typeName + " object>";
    }

    private List<Object> items() {
        if (items == null) {
            items = source.get();
        }
        return items;
    }

    boolean hasNext() {
        return next < items().size();
    }

    Object next() {
        return items().get(next++);
    }

    /** Consumes and returns what is left. */
    List<Object> drain() {
        List<Object> all = items();
        List<Object> rest = new ArrayList<>(all.subList(next, all.size()));
        next = all.size();
        return rest;
    }
}
