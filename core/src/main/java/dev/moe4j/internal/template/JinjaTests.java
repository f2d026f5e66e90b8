package dev.moe4j.internal.template;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's built-in tests ({@code x is defined}, {@code x is string}, {@code x is equalto y}, ...). */
final class JinjaTests {
    static final Set<String> NAMES = Set.of("defined", "undefined", "none", "boolean", "false", "true", "integer",
            "float", "number", "string", "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "in",
            "eq", "equalto", "==", "ne", "!=", "gt", ">", "greaterthan", "ge", ">=", "lt", "<", "lessthan", "le", "<=",
            "odd", "even", "divisibleby", "lower", "upper", "filter", "test");

    private JinjaTests() {
    }

    /** Null when a test of that name exists, else the error message. */
    static String checkName(String name) {
        return NAMES.contains(name) ? null : "unknown test '" + name + "'";
    }

    static boolean apply(String name, Object v, List<Object> args, Map<String, Object> kwargs) {
        if (!NAMES.contains(name)) {
            throw PyError.unsupported("unknown test '" + name + "'");
        }
        String[] params = switch (name) {
            case "sameas", "in", "eq", "equalto", "==", "ne", "!=", "gt", ">", "greaterthan", "ge", ">=", "lt", "<",
                 "lessthan", "le", "<=" -> new String[] {"other"};
            case "divisibleby" -> new String[] {"num"};
            default -> new String[0];
        };
        Object[] defaults = new Object[params.length];
        java.util.Arrays.fill(defaults, Args.REQUIRED);
        Object[] p = Args.bind("test " + name, args, kwargs, params, defaults);
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "boolean" -> v instanceof Boolean;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "number" -> PyOps.isNumber(v);
            case "string" -> Markup.text(v) != null;
            case "mapping" -> v instanceof Map;
            case "iterable" -> PyOps.isIterable(v);
            case "sequence" -> Markup.text(v) != null || v instanceof List || v instanceof PyTuple || v instanceof Map
                    || v instanceof Undefined;
            case "callable" -> v instanceof PyCallable || v instanceof Undefined || v instanceof LoopContext;
            case "sameas" -> sameAs(v, p[0]);
            case "escaped" -> v instanceof Markup;
            case "in" -> PyOps.contains(p[0], v);
            case "eq", "equalto", "==" -> PyOps.equals(v, p[0]);
            case "ne", "!=" -> !PyOps.equals(v, p[0]);
            case "gt", ">", "greaterthan" -> PyOps.order(">", v, p[0]);
            case "ge", ">=" -> PyOps.order(">=", v, p[0]);
            case "lt", "<", "lessthan" -> PyOps.order("<", v, p[0]);
            case "le", "<=" -> PyOps.order("<=", v, p[0]);
            case "odd" -> PyOps.equals(PyArithmetic.binary("%", v, 2L), 1L);
            case "even" -> PyOps.equals(PyArithmetic.binary("%", v, 2L), 0L);
            case "divisibleby" -> PyOps.equals(PyArithmetic.binary("%", v, p[0]), 0L);
            case "lower" -> PyStrings.isLower(PyRepr.str(v));
            case "upper" -> PyStrings.isUpper(PyRepr.str(v));
            case "filter" -> v instanceof String s && Filters.checkName(s) == null;
            case "test" -> v instanceof String s && NAMES.contains(s);
            default -> throw new IllegalStateException(name);
        };
    }

    /** Python {@code a is b}: identity; None, booleans and small ints are singletons in CPython. */
    private static boolean sameAs(Object a, Object b) {
        if (a == null || b == null || a instanceof Boolean || b instanceof Boolean) {
            return a == null ? b == null : a.equals(b);
        }
        if (a instanceof Long x && b instanceof Long y) {
            return x.equals(y) && x >= -5 && x <= 256;
        }
        return a == b;
    }
}
