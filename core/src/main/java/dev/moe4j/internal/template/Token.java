package dev.moe4j.internal.template;

/**
 * One lexical token. {@code text} is the token's source spelling (the operator, the name, the data); {@code value} is
 * the decoded literal for strings ({@link String}), integers ({@link Long}) and floats ({@link Double}).
 *
 * @param pos character offset of the token in the (newline-normalised) template source
 */
record Token(Kind kind, String text, Object value, int pos) {

    enum Kind {
        DATA, VARIABLE_BEGIN, VARIABLE_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF
    }

    boolean isName(String name) {
        return kind == Kind.NAME && text.equals(name);
    }

    boolean isOperator(String op) {
        return kind == Kind.OPERATOR && text.equals(op);
    }

    /** How Jinja describes the token in syntax errors ("end of print statement", "'foo'"). */
    String describe() {
        return switch (kind) {
            case DATA -> "template data";
            case VARIABLE_BEGIN -> "begin of print statement";
            case VARIABLE_END -> "end of print statement";
            case BLOCK_BEGIN -> "begin of statement block";
            case BLOCK_END -> "end of statement block";
            case EOF -> "end of template";
            case STRING -> "string";
            case INTEGER -> "integer";
            case FLOAT -> "float";
            default -> "'" + text + "'";
        };
    }
}
