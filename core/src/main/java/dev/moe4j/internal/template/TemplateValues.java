package dev.moe4j.internal.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Converts caller data (messages, tools, extra variables) into template values: maps become insertion-ordered dicts,
 * collections and arrays lists, integral numbers Long, other numbers Double, CharSequence and Character strings.
 * The result is a private copy, so a render never observes later changes to the caller's objects.
 */
final class TemplateValues {
    private TemplateValues() {
    }

    /** @throws IllegalArgumentException naming the path of a value of a type templates cannot use */
    static Object fromJava(Object v, String path) {
        return switch (v) {
            case null -> null;
            case String s -> s;
            case CharSequence cs -> cs.toString();
            case Character c -> c.toString();
            case Boolean b -> b;
            case Long l -> l;
            case Integer i -> i.longValue();
            case Short s -> s.longValue();
            case Byte b -> b.longValue();
            case BigInteger bi -> {
                if (bi.bitLength() > 63) {
                    throw new IllegalArgumentException(path + ": integer " + bi + " does not fit in 64 bits");
                }
                yield bi.longValue();
            }
            case Double d -> d;
            case Float f -> f.doubleValue();
            case BigDecimal bd -> bd.doubleValue();
            case Optional<?> o -> fromJava(o.orElse(null), path);
            case Map<?, ?> m -> {
                Map<Object, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    Object key = fromJava(e.getKey(), path + "{key}");
                    out.put(key, fromJava(e.getValue(), path + "[" + PyRepr.repr(key) + "]"));
                }
                yield out;
            }
            case Iterable<?> it -> {
                List<Object> out = new ArrayList<>();
                int i = 0;
                for (Object item : it) {
                    out.add(fromJava(item, path + "[" + i++ + "]"));
                }
                yield out;
            }
            case Object[] array -> fromJava(java.util.Arrays.asList(array), path);
            default -> throw new IllegalArgumentException(path + ": values of type " + v.getClass().getName()
                    + " cannot be passed to a chat template (use maps, lists, strings, numbers, booleans or null)");
        };
    }
}
