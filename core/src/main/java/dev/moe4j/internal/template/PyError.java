package dev.moe4j.internal.template;

/**
 * A runtime error raised while evaluating, before the evaluator knows the template position; the evaluator turns it
 * into a {@link TemplateException} at the innermost node it was evaluating. The message follows Python's (prefixed with
 * the Python exception type) so a template author recognises what Jinja2 would have reported.
 */
final class PyError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PyError(String message) {
        super(message, null, false, false);
    }

    static PyError type(String message) {
        return new PyError("TypeError: " + message);
    }

    static PyError value(String message) {
        return new PyError("ValueError: " + message);
    }

    static PyError unsupported(String message) {
        return new PyError(message);
    }
}
