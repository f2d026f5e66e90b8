package dev.moe4j.internal.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's arithmetic operators on template values ({@code + - * / // % **}, unary {@code - +}), with Python's
 * results (int/float promotion, floor division and modulo signs, sequence concatenation and repetition,
 * {@code str % args} formatting, Markup escaping) and Python's error messages. Integers are 64-bit: a result beyond
 * that is an error rather than a silently wrong number.
 */
final class PyArithmetic {
    /** Longest string or list a single repetition may produce, whatever the output limit (memory guard). */
    static final long MAX_REPEAT = 1L << 26;

    private PyArithmetic() {
    }

    static Object binary(String op, Object a, Object b) {
        if (op.equals("%") && a instanceof String fmt) {
            return PyFormat.format(fmt, b, false); // str.__mod__ runs first and may accept an undefined argument
        }
        if (op.equals("%") && a instanceof Markup fmt) {
            return new Markup(PyFormat.format(fmt.text(), b, true));
        }
        if (op.equals("+") && (a instanceof Markup || b instanceof Markup) && Markup.text(a) != null
                && Markup.text(b) != null) {
            return Markup.concat(a, b);
        }
        if (op.equals("*") && (a instanceof Markup || b instanceof Markup)) {
            Object times = a instanceof Markup ? b : a;
            if (times instanceof Long || times instanceof Boolean) {
                return new Markup((String) multiply(Markup.text(a instanceof Markup ? a : b), times));
            }
        }
        if (a instanceof Undefined u) {
            throw u.error();
        }
        if (b instanceof Undefined u) {
            throw u.error();
        }
        return switch (op) {
            case "+" -> add(a, b);
            case "-" -> numeric(op, a, b);
            case "*" -> multiply(a, b);
            case "/" -> divide(a, b);
            case "//" -> floorDivide(a, b);
            case "%" -> modulo(a, b);
            case "**" -> power(a, b);
            default -> throw new IllegalArgumentException(op);
        };
    }

    private static Object add(Object a, Object b) {
        if (a instanceof String sa) {
            if (b instanceof String sb) {
                return sa.concat(sb);
            }
            throw PyError.type("can only concatenate str (not \"" + PyRepr.typeName(b) + "\") to str");
        }
        if (a instanceof List<?> la && !(a instanceof PyRange)) {
            if (b instanceof List<?> lb && !(b instanceof PyRange)) {
                List<Object> out = new ArrayList<>(la.size() + lb.size());
                out.addAll(la);
                out.addAll(lb);
                return out;
            }
            throw PyError.type("can only concatenate list (not \"" + PyRepr.typeName(b) + "\") to list");
        }
        if (a instanceof PyTuple ta) {
            if (b instanceof PyTuple tb) {
                List<Object> out = new ArrayList<>(ta.items());
                out.addAll(tb.items());
                return new PyTuple(out);
            }
            throw PyError.type("can only concatenate tuple (not \"" + PyRepr.typeName(b) + "\") to tuple");
        }
        return numeric("+", a, b);
    }

    private static Object numeric(String op, Object a, Object b) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported(op, a, b);
        }
        if (PyOps.isInt(a) && PyOps.isInt(b)) {
            try {
                return op.equals("+") ? Math.addExact(PyOps.asLong(a), PyOps.asLong(b)) : Math.subtractExact(PyOps.asLong(a), PyOps.asLong(b));
            } catch (ArithmeticException e) {
                throw overflow();
            }
        }
        return op.equals("+") ? PyOps.asDouble(a) + PyOps.asDouble(b) : PyOps.asDouble(a) - PyOps.asDouble(b);
    }

    private static Object multiply(Object a, Object b) {
        if (PyOps.isInt(b) && (a instanceof String || a instanceof List && !(a instanceof PyRange) || a instanceof PyTuple)) {
            return repeat(a, PyOps.asLong(b));
        }
        if (PyOps.isInt(a) && (b instanceof String || b instanceof List && !(b instanceof PyRange) || b instanceof PyTuple)) {
            return repeat(b, PyOps.asLong(a));
        }
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported("*", a, b);
        }
        if (PyOps.isInt(a) && PyOps.isInt(b)) {
            try {
                return Math.multiplyExact(PyOps.asLong(a), PyOps.asLong(b));
            } catch (ArithmeticException e) {
                throw overflow();
            }
        }
        return PyOps.asDouble(a) * PyOps.asDouble(b);
    }

    private static Object repeat(Object seq, long times) {
        long n = Math.max(0, times);
        if (seq instanceof String s) {
            if ((long) s.length() * n > MAX_REPEAT) {
                throw new PyError("MemoryError: string repetition result too large");
            }
            return s.repeat((int) n);
        }
        List<?> items = seq instanceof PyTuple t ? t.items() : (List<?>) seq;
        if ((long) items.size() * n > MAX_REPEAT) {
            throw new PyError("MemoryError: sequence repetition result too large");
        }
        List<Object> out = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            out.addAll(items);
        }
        return seq instanceof PyTuple ? new PyTuple(out) : out;
    }

    private static Object divide(Object a, Object b) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported("/", a, b);
        }
        double y = PyOps.asDouble(b);
        if (y == 0) {
            throw new PyError("ZeroDivisionError: division by zero");
        }
        return PyOps.asDouble(a) / y;
    }

    private static Object floorDivide(Object a, Object b) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported("//", a, b);
        }
        if (PyOps.isInt(a) && PyOps.isInt(b)) {
            if (PyOps.asLong(b) == 0) {
                throw new PyError("ZeroDivisionError: integer division or modulo by zero");
            }
            if (PyOps.asLong(a) == Long.MIN_VALUE && PyOps.asLong(b) == -1) {
                throw overflow();
            }
            return Math.floorDiv(PyOps.asLong(a), PyOps.asLong(b));
        }
        double y = PyOps.asDouble(b);
        if (y == 0) {
            throw new PyError("ZeroDivisionError: float floor division by zero");
        }
        return Math.floor(PyOps.asDouble(a) / y);
    }

    private static Object modulo(Object a, Object b) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported("%", a, b);
        }
        if (PyOps.isInt(a) && PyOps.isInt(b)) {
            if (PyOps.asLong(b) == 0) {
                throw new PyError("ZeroDivisionError: integer division or modulo by zero");
            }
            return Math.floorMod(PyOps.asLong(a), PyOps.asLong(b));
        }
        double x = PyOps.asDouble(a);
        double y = PyOps.asDouble(b);
        if (y == 0) {
            throw new PyError("ZeroDivisionError: float modulo");
        }
        double r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) {
            r += y;
        }
        return r == 0 ? Math.copySign(0.0, y) : r;
    }

    private static Object power(Object a, Object b) {
        if (!PyOps.isNumber(a) || !PyOps.isNumber(b)) {
            throw unsupported("** or pow()", a, b);
        }
        if (PyOps.isInt(a) && PyOps.isInt(b) && PyOps.asLong(b) >= 0) {
            long base = PyOps.asLong(a);
            long exp = PyOps.asLong(b);
            long result = 1;
            try {
                while (exp > 0) {
                    if ((exp & 1) == 1) {
                        result = Math.multiplyExact(result, base);
                    }
                    exp >>= 1;
                    if (exp > 0) {
                        base = Math.multiplyExact(base, base);
                    }
                }
            } catch (ArithmeticException e) {
                throw overflow();
            }
            return result;
        }
        double x = PyOps.asDouble(a);
        double y = PyOps.asDouble(b);
        if (x == 0 && y < 0) {
            throw new PyError("ZeroDivisionError: 0.0 cannot be raised to a negative power");
        }
        if (x < 0 && y != Math.rint(y) && Double.isFinite(y)) {
            throw PyError.unsupported("a negative number to a fractional power is complex in Python,"
                    + " which is not supported here");
        }
        double r = Math.pow(x, y);
        if (Double.isInfinite(r) && Double.isFinite(x) && Double.isFinite(y)) {
            throw new PyError("OverflowError: (34, 'Numerical result out of range')");
        }
        return r;
    }

    static Object negate(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (v instanceof Double d) {
            return -d;
        }
        if (PyOps.isInt(v)) {
            if (PyOps.asLong(v) == Long.MIN_VALUE) {
                throw overflow();
            }
            return -PyOps.asLong(v);
        }
        throw PyError.type("bad operand type for unary -: " + PyRepr.repr(PyRepr.typeName(v)));
    }

    static Object plus(Object v) {
        if (v instanceof Undefined u) {
            throw u.error();
        }
        if (v instanceof Double) {
            return v;
        }
        if (PyOps.isInt(v)) {
            return PyOps.asLong(v);
        }
        throw PyError.type("bad operand type for unary +: " + PyRepr.repr(PyRepr.typeName(v)));
    }

    private static PyError unsupported(String op, Object a, Object b) {
        return PyError.type("unsupported operand type(s) for " + op + ": " + PyRepr.repr(PyRepr.typeName(a)) + " and "
                + PyRepr.repr(PyRepr.typeName(b)));
    }

    private static PyError overflow() {
        return new PyError("OverflowError: integer result does not fit in 64 bits (not supported here)");
    }
}
