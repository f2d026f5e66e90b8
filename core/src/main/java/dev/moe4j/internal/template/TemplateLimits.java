package dev.moe4j.internal.template;

/**
 * Guards against runaway templates. Exceeding one fails the render with a {@link TemplateException}.
 *
 * @param maxOutputChars longest text (in UTF-16 chars) the render, a macro result or any string value may reach; the
 *                       total text written into all buffers together may reach four times this
 * @param maxSteps       most loop iterations plus macro calls in one render
 * @param maxCallDepth   deepest nesting of macro calls (recursion)
 */
public record TemplateLimits(long maxOutputChars, long maxSteps, int maxCallDepth) {
    /** 16 Mi chars of output, 10 million steps, call depth 64: far above what real chat templates need. */
    public static final TemplateLimits DEFAULT = new TemplateLimits(16L << 20, 10_000_000L, 64);

    public TemplateLimits {
        if (maxOutputChars <= 0 || maxSteps <= 0 || maxCallDepth <= 0) {
            throw new IllegalArgumentException("template limits must be positive: " + maxOutputChars + ", " + maxSteps
                    + ", " + maxCallDepth);
        }
    }
}
