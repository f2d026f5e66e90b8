/**
 * A Jinja interpreter for the chat templates GGUF models carry ({@code tokenizer.chat_template}), exact against Python
 * Jinja2 as Hugging Face transformers configures it. {@link dev.moe4j.internal.template.ChatTemplate} is the entry
 * point; {@link dev.moe4j.internal.template.TemplateException} is the one exception it raises for template problems.
 *
 * <p>Pipeline: {@code Lexer} (tokens, whitespace control) → {@code Parser} / {@code ExpressionParser} (AST:
 * {@code Stmt}, {@code Expr}) → {@code ConstantFolder} (Jinja's compile-time folding, which is observable) →
 * {@code Renderer} / {@code Evaluator} (tree-walking interpretation with Python semantics: {@code PyOps},
 * {@code PyArithmetic}, {@code PyAccess}, {@code PyRepr}, {@code PyStrings}, {@code PyFormat}; Jinja's
 * {@code Filters}, {@code SequenceFilters}, {@code JinjaTests}, {@code Methods}, {@code Globals}).
 *
 * <p>Correctness is established differentially: {@code src/test/python} and {@code tools/templates} render every test
 * case (snippets, and real templates on many conversations: the shared ones, GLM-4.5/4.6/4.7, gpt-oss) with Python
 * Jinja2 and the tests require identical output (or an error where Jinja2 raised). {@code ChatTemplateFuzzTest}
 * (Jazzer) checks that no template, however malformed, fails with anything but {@link
 * dev.moe4j.internal.template.TemplateException}. Known, deliberate differences:
 * <ul>
 *   <li>objects whose Python repr contains a memory address (generators, iterators, bound methods) print without
 *       it, e.g. {@code <generator object sync_do_map>};</li>
 *   <li>integers are 64-bit; a result Python would make bigger is an error;</li>
 *   <li>an expression nested deeper than the thread's stack allows (e.g. a chain of thousands of {@code .attr} or
 *       {@code + x}) fails with "template nesting too deep for the thread's stack" where Jinja2 raises
 *       RecursionError;</li>
 *   <li>not implemented, and reported with the construct's name and position rather than mis-rendered:
 *       {@code include}/{@code import}/{@code extends}/{@code block}, recursive {@code for} loops,
 *       {@code str.format}, the filters {@code groupby truncate wordwrap urlize urlencode xmlattr striptags pprint
 *       random slice filesizeformat}, and the globals {@code lipsum cycler joiner};</li>
 *   <li>Unicode character properties (case mappings, {@code \w}) come from Java's tables, which can differ from the
 *       Python build's for a few characters.</li>
 * </ul>
 */
package dev.moe4j.internal.template;
