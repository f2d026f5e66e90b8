package dev.moe4j.internal.template;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A compiled chat template: the Jinja template a GGUF file carries in {@code tokenizer.chat_template}, rendered the way
 * Hugging Face transformers renders it with Python Jinja2 ({@code trim_blocks=True, lstrip_blocks=True}, the
 * immutable sandbox, loop controls, a {@code raise_exception(msg)} global, {@code strftime_now(fmt)}, and a
 * {@code tojson} that is plain {@code json.dumps} without ASCII escaping), byte for byte.
 *
 * <p>Compiling checks syntax and rejects constructs this interpreter does not implement (unknown tags, filters, tests),
 * so a template that compiles will not fail later for that reason. Only a filter or test Jinja2 does not know either,
 * inside an if-block or a conditional expression, fails when it is reached, as in Jinja2 (e.g. DeepSeek-V3.2's
 * {@code from_json}, used only for string tool-call arguments). Instances are immutable and thread-safe; each render
 * is independent.
 */
public final class ChatTemplate {
    private final String source;
    private final List<Stmt> body;
    private final SourcePosition positions;
    private final Clock clock;
    private final TemplateLimits limits;

    private ChatTemplate(String source, List<Stmt> body, SourcePosition positions, Clock clock, TemplateLimits limits) {
        this.source = source;
        this.body = body;
        this.positions = positions;
        this.clock = clock;
        this.limits = limits;
    }

    /**
     * Parses a template with transformers' environment options ({@code trim_blocks} and {@code lstrip_blocks} on).
     *
     * @throws TemplateException on a syntax error or an unsupported construct, naming it with its line and column
     */
    public static ChatTemplate compile(String source) {
        Objects.requireNonNull(source, "source");
        String normalized = Lexer.normalizeNewlines(source);
        SourcePosition positions = new SourcePosition(normalized);
        List<Token> tokens = Lexer.tokenize(normalized, true, true, positions);
        List<Stmt> body;
        try {
            body = ConstantFolder.fold(Parser.parse(tokens, positions), positions);
        } catch (StackOverflowError e) {
            // The parser bounds bracket and block nesting, but a left-leaning chain (x.a.a.a…, 1 + 1 + …, x|f|f…)
            // is parsed by a loop into a tree as deep as the chain, which the folder walks recursively; Jinja2 itself
            // gives up on such chains past a few hundred links (RecursionError). Nothing is shared between compiles,
            // so the overflow leaves no state behind.
            throw new TemplateException("template nesting too deep for the thread's stack", 0, 0);
        }
        return new ChatTemplate(source, body, positions, Clock.systemDefaultZone(), TemplateLimits.DEFAULT);
    }

    /** The same template with {@code strftime_now} reading this clock (its zone gives the local time). */
    public ChatTemplate withClock(Clock clock) {
        return new ChatTemplate(source, body, positions, Objects.requireNonNull(clock, "clock"), limits);
    }

    /** The same template with other guards against runaway templates. */
    public ChatTemplate withLimits(TemplateLimits limits) {
        return new ChatTemplate(source, body, positions, clock, Objects.requireNonNull(limits, "limits"));
    }

    /** The template text as given to {@link #compile}. */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation as transformers' {@code apply_chat_template} does: the variables are {@code messages},
     * {@code add_generation_prompt}, {@code tools} and {@code documents} (None unless given), then
     * {@code extraVariables} (typically {@code bos_token}, {@code eos_token}, {@code tools}, {@code documents},
     * {@code enable_thinking}).
     *
     * @param messages       maps with {@code role}, {@code content} (a string or null) and optional fields such as
     *                       {@code reasoning_content}, {@code tool_calls} (a list of maps), {@code name}
     * @param extraVariables more variables, or null; may not redefine {@code messages} or
     *                       {@code add_generation_prompt}
     * @return the prompt text
     * @throws TemplateException        when the template raises (its {@code raise_exception}, a type error, a limit)
     * @throws IllegalArgumentException when a value has a type templates cannot use, or a variable is given twice
     */
    public String render(List<Map<String, Object>> messages, boolean addGenerationPrompt,
                         Map<String, Object> extraVariables) {
        Objects.requireNonNull(messages, "messages");
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("messages", messages);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        if (extraVariables != null) {
            for (Map.Entry<String, Object> e : extraVariables.entrySet()) {
                if (e.getKey().equals("messages") || e.getKey().equals("add_generation_prompt")) {
                    throw new IllegalArgumentException("extraVariables must not contain '" + e.getKey()
                            + "': it is a parameter of render");
                }
                vars.put(e.getKey(), e.getValue());
            }
        }
        return render(vars);
    }

    /**
     * Renders with exactly these variables (no defaults added).
     *
     * @throws TemplateException        when the template raises
     * @throws IllegalArgumentException when a value has a type templates cannot use
     */
    public String render(Map<String, Object> variables) {
        Map<String, Object> converted = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : variables.entrySet()) {
            converted.put(Objects.requireNonNull(e.getKey(), "variable name"),
                    TemplateValues.fromJava(e.getValue(), e.getKey()));
        }
        Scope globals = new Scope(null, Globals.create(clock));
        Scope context = new Scope(globals, converted);
        try {
            return new Renderer(positions, limits).render(body, new Scope(context));
        } catch (StackOverflowError e) {
            throw new TemplateException("template nesting too deep for the thread's stack", 0, 0);
        }
    }
}
