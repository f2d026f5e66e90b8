package dev.moe4j.internal.template;

/**
 * Jinja2's default {@code Undefined}: what a missing variable, attribute or item evaluates to. It prints as the empty
 * string, is falsy, iterates as empty, has length 0 and equals only another undefined; any other use (arithmetic,
 * ordering, attribute or item access, calling) raises an {@code UndefinedError} with the message Jinja would give.
 */
final class Undefined {
    private final String message;

    private Undefined(String message) {
        this.message = message;
    }

    /** A variable that is not defined: {@code 'name' is undefined}. */
    static Undefined named(String name) {
        return new Undefined(PyRepr.repr(name) + " is undefined");
    }

    /** A missing attribute or item of a defined object: {@code 'dict object' has no attribute 'x'}. */
    static Undefined missing(Object obj, Object key) {
        String type = obj == null ? "None" : PyRepr.qualifiedTypeName(obj) + " object";
        if (key instanceof String) {
            return new Undefined(PyRepr.repr(type) + " has no attribute " + PyRepr.repr(key));
        }
        return new Undefined(type + " has no element " + PyRepr.repr(key));
    }

    /** An undefined with an explicit explanation. */
    static Undefined withHint(String hint) {
        return new Undefined(hint);
    }

    /** The sandbox's answer to an attribute that exists but may not be used (dunders, mutating methods). */
    static Undefined unsafe(Object obj, String name) {
        return new Undefined("SecurityError: access to attribute " + PyRepr.repr(name) + " of "
                + PyRepr.repr(PyRepr.typeName(obj)) + " object is unsafe.");
    }

    String message() {
        return message;
    }

    /** The error Jinja raises when an undefined value is used in a way that needs a real value. */
    PyError error() {
        return new PyError(message.startsWith("SecurityError:") ? message : "UndefinedError: " + message);
    }
}
