package dev.moe4j.internal.template;

import java.util.HashMap;
import java.util.Map;

/**
 * A variable scope. Lookups fall back to the enclosing scope; assignments always land in this one. This reproduces
 * Jinja's rules: each for-loop iteration, macro call and {@code with} body gets a fresh child scope (so a
 * {@code {% set %}} inside a loop does not survive the iteration, hence {@code namespace()}), while {@code if} bodies
 * share their enclosing scope.
 */
final class Scope {
    private final Scope parent;
    private final Map<String, Object> vars;

    Scope(Scope parent) {
        this.parent = parent;
        this.vars = new HashMap<>();
    }

    Scope(Scope parent, Map<String, Object> vars) {
        this.parent = parent;
        this.vars = vars;
    }

    /** The value, or {@link Undefined} naming the variable when no scope defines it. */
    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            Object v = s.vars.get(name);
            if (v != null || s.vars.containsKey(name)) {
                return v;
            }
        }
        return Undefined.named(name);
    }

    void set(String name, Object value) {
        vars.put(name, value);
    }
}
