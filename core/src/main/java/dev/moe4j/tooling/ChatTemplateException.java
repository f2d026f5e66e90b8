package dev.moe4j.tooling;

import dev.moe4j.Moe4jException;

/**
 * A chat template could not be compiled (a syntax error, a construct moe4j's Jinja interpreter does not implement) or
 * raised an error while rendering (its {@code raise_exception(msg)}, a type error, a limit on runaway templates). The
 * message names the construct and its 1-based line and column, e.g.
 * {@code "unknown filter 'frobnicate' (line 3, column 17)"}.
 */
public final class ChatTemplateException extends Moe4jException {
    private static final long serialVersionUID = 1L;

    ChatTemplateException(Moe4jException cause) {
        super(cause.getMessage(), cause);
    }
}
