package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code loop} variable inside a for loop: {@code index}, {@code index0}, {@code revindex}, {@code revindex0},
 * {@code first}, {@code last}, {@code length}, {@code depth}, {@code depth0}, {@code previtem}, {@code nextitem},
 * {@code cycle(...)} and {@code changed(...)}.
 */
final class LoopContext {
    private final List<Object> items;
    private int index0;
    private List<Object> lastChanged;

    LoopContext(List<Object> items) {
        this.items = items;
    }

    void advance(int index0) {
        this.index0 = index0;
    }

    int index0() {
        return index0;
    }

    int length() {
        return items.size();
    }

    /** Attribute access on {@code loop}; unknown names are undefined, as in Jinja. */
    Object attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> (long) index0 + 1;
            case "index0" -> (long) index0;
            case "revindex" -> (long) (n - index0);
            case "revindex0" -> (long) (n - index0 - 1);
            case "first" -> index0 == 0;
            case "last" -> index0 == n - 1;
            case "length" -> (long) n;
            case "depth" -> 1L;
            case "depth0" -> 0L;
            case "previtem" -> index0 > 0 ? items.get(index0 - 1)
                    : Undefined.withHint("there is no previous item");
            case "nextitem" -> index0 < n - 1 ? items.get(index0 + 1)
                    : Undefined.withHint("there is no next item");
            case "cycle" -> PyCallable.of("<bound method LoopContext.cycle>", (ev, args, kwargs) -> {
                Args.noKeywords("cycle", kwargs);
                if (args.isEmpty()) {
                    throw PyError.type("no items for cycling given");
                }
                return args.get(index0 % args.size());
            });
            case "changed" -> PyCallable.of("<bound method LoopContext.changed>", (ev, args, kwargs) -> {
                Args.noKeywords("changed", kwargs);
                List<Object> value = new ArrayList<>(args);
                if (lastChanged == null || !PyOps.equals(value, lastChanged)) {
                    lastChanged = value;
                    return true;
                }
                return false;
            });
            default -> Undefined.missing(this, name);
        };
    }
}
