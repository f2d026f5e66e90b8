package dev.moe4j.internal.template;

import dev.moe4j.Moe4jException;

/**
 * A chat template could not be compiled or rendered: a syntax error, a construct this interpreter does not implement (a
 * tag, filter, test or method), a runtime error the same template would also raise under Python Jinja2 (an undefined
 * value used in arithmetic, a type error), a call of the template's own {@code raise_exception(msg)}, or a runaway
 * template hitting a limit. The message names the construct and the 1-based line and column in the template source,
 * e.g. {@code "unknown filter 'frobnicate' (line 3, column 17)"}.
 */
public final class TemplateException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    private final String detail;
    private final int line;
    private final int column;

    /**
     * @param detail what went wrong, without position
     * @param line   1-based line in the template source, or 0 when not tied to a position
     * @param column 1-based column (in code points) in that line, or 0 when not tied to a position
     */
    public TemplateException(String detail, int line, int column) {
        super(line > 0 ? detail + " (line " + line + ", column " + column + ")" : detail);
        this.detail = detail;
        this.line = line;
        this.column = column;
    }

    /** What went wrong, without the position suffix (for {@code raise_exception} this is the template's message). */
    public String detail() {
        return detail;
    }

    /** 1-based line of the offending construct in the template source, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column (in code points) of the offending construct, or 0 when unknown. */
    public int column() {
        return column;
    }
}
