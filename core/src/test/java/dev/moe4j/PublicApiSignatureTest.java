package dev.moe4j;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.AttributedElement;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassSignature;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.MethodSignature;
import java.lang.classfile.Signature;
import java.lang.classfile.TypeAnnotation;
import java.lang.classfile.attribute.InnerClassInfo;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.classfile.attribute.ModuleExportInfo;
import java.lang.classfile.attribute.RecordComponentInfo;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantValueEntry;
import java.lang.reflect.AccessFlag;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The public API's signature, read from the compiled classes, against the committed file {@code core/api/moe4j-core.api}
 * (the idea of Kotlin's binary-compatibility-validator): every change to the API shows up in review as a change of
 * that file. The API is what module-info exports ({@code dev.moe4j}, {@code dev.moe4j.tooling}): every public type,
 * and protected nested type of an extendable one, with its public members, and protected members where subclasses
 * outside the package can exist (a class neither final nor sealed), as generic signatures with modifiers, throws,
 * constant values, record components, enum constants (in declaration order: ordinals are API), sealed permits and the
 * runtime-visible annotations (declaration annotations such as {@code @Deprecated}, type-use annotations such as
 * JSpecify's {@code @Nullable}). Types and members are sorted; no parameter names (not API).
 *
 * <p>After an intended change: {@code mvn -o -pl core test -Dtest=PublicApiSignatureTest -Dmoe4j.api.update=true}
 * rewrites the file (and passes); commit it with the change. See docs/API-COMPATIBILITY.md.
 */
class PublicApiSignatureTest {
    static final String UPDATE_PROPERTY = "moe4j.api.update";
    static final String UPDATE_COMMAND =
            "mvn -o -pl core test -Dtest=PublicApiSignatureTest -D" + UPDATE_PROPERTY + "=true";

    @Test
    void publicApiMatchesTheCommittedSignatureFile() throws IOException, URISyntaxException {
        Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String actual = render(root);
        Path file = apiFile(root);
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            System.out.println("PublicApiSignatureTest: wrote " + file);
            return;
        }
        if (!Files.exists(file)) {
            fail("no API signature file " + file + "; create it with: " + UPDATE_COMMAND);
        }
        String expected = Files.readString(file, StandardCharsets.UTF_8).replace("\r\n", "\n");
        if (!expected.equals(actual)) {
            fail("The public API (dev.moe4j, dev.moe4j.tooling) differs from " + file + ":\n"
                    + unifiedDiff(lines(expected), lines(actual), "core/api/moe4j-core.api (committed)",
                    "compiled classes") + "\nIf the change is intended, update the file and commit it with the change:\n  "
                    + UPDATE_COMMAND + "\n(and see docs/API-COMPATIBILITY.md: is it compatible?)");
        }
    }

    /** The rendering sees the API (it would not pass by reading nothing). */
    @Test
    void theSignatureCoversTheApi() throws IOException, URISyntaxException {
        Path root = Path.of(Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        String api = render(root);
        assertTrue(api.contains("\npublic final class dev.moe4j.Model "), "Model is listed");
        assertTrue(api.contains("\npublic final class dev.moe4j.tooling.RawModel "), "the tooling package is listed");
        assertTrue(api.contains("  enum constant "), "enum constants are listed");
        assertTrue(api.contains("  record component "), "record components are listed");
        assertFalse(api.contains("dev.moe4j.internal."), "no internal type is part of the API");
    }

    /** {@code moe4j.api.file} (set by core's pom); else {@code api/moe4j-core.api} next to {@code target/classes}. */
    private static Path apiFile(Path classRoot) {
        String configured = System.getProperty("moe4j.api.file");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return classRoot.toAbsolutePath().getParent().getParent().resolve("api").resolve("moe4j-core.api");
    }

    private static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Reading the classes

    /** The signature file's text for the classes under {@code root} (a class-path root with module-info.class). */
    static String render(Path root) throws IOException {
        ClassModel moduleInfo = ClassFile.of().parse(root.resolve("module-info.class"));
        ModuleAttribute module = moduleInfo.findAttribute(Attributes.module()).orElseThrow();
        List<String> exported = new ArrayList<>();
        for (ModuleExportInfo e : module.exports()) {
            if (e.exportsTo().isEmpty()) { // qualified exports are not public API
                exported.add(e.exportedPackage().name().stringValue());
            }
        }
        exported.sort(null);
        StringBuilder out = new StringBuilder();
        out.append("# The public API of moe4j-core: generated from the compiled classes by PublicApiSignatureTest.\n");
        out.append("# Do not edit; after an intended API change run: ").append(UPDATE_COMMAND).append('\n');
        out.append("module ").append(module.moduleName().name().stringValue()).append('\n');
        for (String p : exported) {
            out.append("  exports ").append(p.replace('/', '.')).append('\n');
        }
        module.requires().stream().filter(r -> r.has(AccessFlag.TRANSITIVE)) // the modules API users read too
                .map(r -> "  requires " + (r.has(AccessFlag.STATIC_PHASE) ? "static " : "") + "transitive "
                        + r.requires().name().stringValue() + "\n")
                .sorted().forEach(out::append);

        Map<String, ClassModel> classes = new TreeMap<>(); // internal name -> class, of the exported packages
        for (String p : exported) {
            try (Stream<Path> s = Files.list(root.resolve(p))) {
                for (Path f : s.filter(x -> x.toString().endsWith(".class")).toList()) {
                    ClassModel c = ClassFile.of().parse(f);
                    String name = c.thisClass().asInternalName();
                    if (!name.endsWith("/package-info")) {
                        classes.put(name, c);
                    }
                }
            }
        }
        Api api = new Api(classes);
        for (ClassModel c : classes.values()) {
            if (api.isApi(c)) {
                out.append('\n');
                new TypeRenderer(api, c).render(out);
            }
        }
        return out.toString();
    }

    /** Which classes of the exported packages are API. */
    private record Api(Map<String, ClassModel> classes) {
        /** The class's own InnerClasses entry (its real access flags when nested), if it is nested. */
        static Optional<InnerClassInfo> nesting(ClassModel c) {
            return c.findAttribute(Attributes.innerClasses()).stream().flatMap(a -> a.classes().stream())
                    .filter(i -> i.innerClass().asInternalName().equals(c.thisClass().asInternalName())).findFirst();
        }

        static int flags(ClassModel c) {
            return nesting(c).map(InnerClassInfo::flagsMask).orElse(c.flags().flagsMask());
        }

        /** A subclass can exist outside the package: not final, not sealed, and an accessible constructor. */
        boolean extendable(ClassModel c) {
            int f = flags(c);
            return (f & (ClassFile.ACC_FINAL | ClassFile.ACC_INTERFACE)) == 0
                    && c.findAttribute(Attributes.permittedSubclasses()).isEmpty()
                    && c.methods().stream().anyMatch(m -> m.methodName().equalsString("<init>")
                    && (m.flags().flagsMask() & (ClassFile.ACC_PUBLIC | ClassFile.ACC_PROTECTED)) != 0);
        }

        boolean isApi(ClassModel c) {
            int f = flags(c);
            if ((f & ClassFile.ACC_SYNTHETIC) != 0) {
                return false;
            }
            Optional<InnerClassInfo> n = nesting(c);
            if (n.isEmpty()) {
                return (f & ClassFile.ACC_PUBLIC) != 0;
            }
            Optional<ClassEntry> outerEntry = n.get().outerClass();
            if (outerEntry.isEmpty() || n.get().innerName().isEmpty()) {
                return false; // local or anonymous
            }
            ClassModel outer = classes.get(outerEntry.get().asInternalName());
            if (outer == null || !isApi(outer)) {
                return false;
            }
            return (f & ClassFile.ACC_PUBLIC) != 0 || ((f & ClassFile.ACC_PROTECTED) != 0 && extendable(outer));
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Rendering one type

    private static final class TypeRenderer {
        private final Api api;
        private final ClassModel c;
        private final String pkg; // internal package name with trailing '/'

        TypeRenderer(Api api, ClassModel c) {
            this.api = api;
            this.c = c;
            String n = c.thisClass().asInternalName();
            this.pkg = n.substring(0, n.lastIndexOf('/') + 1);
        }

        void render(StringBuilder out) {
            int f = Api.flags(c);
            boolean isInterface = (f & ClassFile.ACC_INTERFACE) != 0;
            boolean isAnnotation = (f & ClassFile.ACC_ANNOTATION) != 0;
            boolean isEnum = (f & ClassFile.ACC_ENUM) != 0;
            boolean isRecord = c.findAttribute(Attributes.record()).isPresent();
            String kind = isAnnotation ? "@interface" : isInterface ? "interface" : isEnum ? "enum" : isRecord ? "record"
                    : "class";
            StringBuilder head = new StringBuilder();
            head.append(declarationAnnotations(c));
            head.append(access(f));
            if (Api.nesting(c).isPresent() && (f & ClassFile.ACC_STATIC) != 0) {
                head.append("static ");
            }
            if (!isInterface && (f & ClassFile.ACC_ABSTRACT) != 0) {
                head.append("abstract ");
            }
            if ((f & ClassFile.ACC_FINAL) != 0 && !isEnum) { // an enum is final or, with constant bodies, sealed
                head.append("final ");
            }
            // (an enum with constant bodies is sealed, permitting its anonymous constant classes: not API)
            var permits = c.findAttribute(Attributes.permittedSubclasses()).filter(p -> !isEnum);
            if (permits.isPresent()) {
                head.append("sealed ");
            }
            head.append(kind).append(' ').append(c.thisClass().asInternalName().replace('/', '.').replace('$', '.'));

            TypeAnnotations ta = new TypeAnnotations(c);
            Optional<ClassSignature> sig = c.findAttribute(Attributes.signature()).map(s -> s.asClassSignature());
            if (sig.isPresent()) {
                head.append(typeParams(sig.get().typeParameters(), ta, TypeAnnotation.TargetType.CLASS_TYPE_PARAMETER,
                        TypeAnnotation.TargetType.CLASS_TYPE_PARAMETER_BOUND));
            }
            String superName = c.superclass().map(ClassEntry::asInternalName).orElse(null);
            if (!isInterface && superName != null && !superName.equals("java/lang/Object")
                    && !(isEnum && superName.equals("java/lang/Enum"))
                    && !(isRecord && superName.equals("java/lang/Record"))) {
                Signature s = sig.<Signature>map(ClassSignature::superclassSignature)
                        .orElse(Signature.ClassTypeSig.of(superName));
                head.append(" extends ").append(ta.type(s, TypeAnnotation.TargetType.CLASS_EXTENDS, 65535));
            }
            List<String> supers = new ArrayList<>();
            for (int i = 0; i < c.interfaces().size(); i++) {
                String in = c.interfaces().get(i).asInternalName();
                if (isAnnotation && in.equals("java/lang/annotation/Annotation")) {
                    continue;
                }
                Signature s = sig.isPresent() && sig.get().superinterfaceSignatures().size() == c.interfaces().size()
                        ? sig.get().superinterfaceSignatures().get(i) : Signature.ClassTypeSig.of(in);
                supers.add(ta.type(s, TypeAnnotation.TargetType.CLASS_EXTENDS, i));
            }
            if (!supers.isEmpty()) {
                head.append(isInterface ? " extends " : " implements ").append(String.join(", ", supers));
            }
            permits.ifPresent(p -> head.append(" permits ").append(p.permittedSubclasses().stream()
                    .map(e -> name(e.asInternalName())).collect(Collectors.joining(", "))));
            head.append(ta.leftovers());
            out.append(head).append(" {\n");

            // Declaration order where it is API: enum constants (ordinals), record components (the canonical
            // constructor).
            for (FieldModel fm : c.fields()) {
                if ((fm.flags().flagsMask() & ClassFile.ACC_ENUM) != 0) {
                    out.append("  enum constant ").append(declarationAnnotations(fm)).append(fm.fieldName().stringValue())
                            .append('\n');
                }
            }
            c.findAttribute(Attributes.record()).ifPresent(r -> {
                for (RecordComponentInfo rc : r.components()) {
                    TypeAnnotations rta = new TypeAnnotations(rc);
                    Signature s = rc.findAttribute(Attributes.signature()).map(x -> x.asTypeSignature())
                            .orElse(Signature.of(rc.descriptorSymbol()));
                    out.append("  record component ").append(declarationAnnotations(rc))
                            .append(rta.type(s, TypeAnnotation.TargetType.FIELD, -1)).append(' ')
                            .append(rc.name().stringValue()).append(rta.leftovers()).append('\n');
                }
            });

            boolean protectedVisible = api.extendable(c);
            List<String[]> fields = new ArrayList<>(); // {sort key, line}
            List<String[]> constructors = new ArrayList<>();
            List<String[]> methods = new ArrayList<>();
            for (ClassModel owner : ownersOfMembers()) {
                String from = owner == c ? "" : "  // from " + name(owner.thisClass().asInternalName());
                for (FieldModel fm : owner.fields()) {
                    int ff = fm.flags().flagsMask();
                    if ((ff & ClassFile.ACC_ENUM) == 0 && visible(ff, protectedVisible)) {
                        fields.add(new String[]{fm.fieldName().stringValue(), field(fm) + from});
                    }
                }
                for (MethodModel mm : owner.methods()) {
                    int mf = mm.flags().flagsMask();
                    if (!visible(mf, protectedVisible) || (mf & (ClassFile.ACC_BRIDGE | ClassFile.ACC_SYNTHETIC)) != 0) {
                        continue;
                    }
                    String n = mm.methodName().stringValue();
                    if (n.equals("<init>")) {
                        if (owner == c) {
                            String line = method(mm, isInterface);
                            constructors.add(new String[]{line, line});
                        }
                    } else if (!n.equals("<clinit>")) {
                        String line = method(mm, (Api.flags(owner) & ClassFile.ACC_INTERFACE) != 0);
                        methods.add(new String[]{n + " " + line, line + from});
                    }
                }
            }
            Comparator<String[]> byKey = Comparator.comparing((String[] a) -> a[0]).thenComparing(a -> a[1]);
            for (List<String[]> group : List.of(fields, constructors, methods)) {
                group.stream().sorted(byKey).forEach(a -> out.append("  ").append(a[1]).append('\n'));
            }
            out.append("}\n");
        }

        /**
         * This class, then the classes of the module that are not API but whose public members callers reach through
         * this one (a package-private superclass or superinterface).
         */
        private List<ClassModel> ownersOfMembers() {
            List<ClassModel> owners = new ArrayList<>();
            owners.add(c);
            List<String> todo = new ArrayList<>();
            c.superclass().ifPresent(s -> todo.add(s.asInternalName()));
            c.interfaces().forEach(i -> todo.add(i.asInternalName()));
            while (!todo.isEmpty()) {
                ClassModel s = api.classes().get(todo.removeFirst());
                if (s != null && !api.isApi(s) && !owners.contains(s)) {
                    owners.add(s);
                    s.superclass().ifPresent(x -> todo.add(x.asInternalName()));
                    s.interfaces().forEach(i -> todo.add(i.asInternalName()));
                }
            }
            return owners;
        }

        private static boolean visible(int flags, boolean protectedVisible) {
            return (flags & ClassFile.ACC_PUBLIC) != 0 || ((flags & ClassFile.ACC_PROTECTED) != 0 && protectedVisible);
        }

        private static String access(int flags) {
            return (flags & ClassFile.ACC_PUBLIC) != 0 ? "public " : (flags & ClassFile.ACC_PROTECTED) != 0
                    ? "protected " : "";
        }

        private String field(FieldModel fm) {
            int f = fm.flags().flagsMask();
            TypeAnnotations ta = new TypeAnnotations(fm);
            StringBuilder b = new StringBuilder(declarationAnnotations(fm)).append(access(f));
            if ((f & ClassFile.ACC_STATIC) != 0) {
                b.append("static ");
            }
            if ((f & ClassFile.ACC_FINAL) != 0) {
                b.append("final ");
            }
            if ((f & ClassFile.ACC_VOLATILE) != 0) {
                b.append("volatile ");
            }
            if ((f & ClassFile.ACC_TRANSIENT) != 0) {
                b.append("transient ");
            }
            Signature s = fm.findAttribute(Attributes.signature()).map(x -> x.asTypeSignature())
                    .orElse(Signature.of(fm.fieldTypeSymbol()));
            b.append(ta.type(s, TypeAnnotation.TargetType.FIELD, -1)).append(' ').append(fm.fieldName().stringValue());
            fm.findAttribute(Attributes.constantValue()).ifPresent(cv -> b.append(" = ")
                    .append(constant(cv.constant(), fm.fieldTypeSymbol().descriptorString())));
            return b.append(ta.leftovers()).toString();
        }

        private String method(MethodModel mm, boolean inInterface) {
            int f = mm.flags().flagsMask();
            TypeAnnotations ta = new TypeAnnotations(mm);
            StringBuilder b = new StringBuilder(declarationAnnotations(mm)).append(access(f));
            if ((f & ClassFile.ACC_STATIC) != 0) {
                b.append("static ");
            } else if (inInterface && (f & ClassFile.ACC_ABSTRACT) == 0) {
                b.append("default ");
            }
            if ((f & ClassFile.ACC_FINAL) != 0) {
                b.append("final ");
            }
            if ((f & ClassFile.ACC_ABSTRACT) != 0) {
                b.append("abstract ");
            }
            MethodSignature sig = mm.findAttribute(Attributes.signature()).map(x -> x.asMethodSignature())
                    .orElse(MethodSignature.of(mm.methodTypeSymbol()));
            if (!sig.typeParameters().isEmpty()) {
                b.append(typeParams(sig.typeParameters(), ta, TypeAnnotation.TargetType.METHOD_TYPE_PARAMETER,
                        TypeAnnotation.TargetType.METHOD_TYPE_PARAMETER_BOUND)).append(' ');
            }
            String n = mm.methodName().stringValue();
            if (n.equals("<init>")) {
                String own = c.thisClass().asInternalName();
                b.append(own.substring(Math.max(own.lastIndexOf('/'), own.lastIndexOf('$')) + 1));
            } else {
                b.append(ta.type(sig.result(), TypeAnnotation.TargetType.METHOD_RETURN, -1)).append(' ').append(n);
            }
            List<List<Annotation>> paramAnnotations = mm.findAttribute(Attributes.runtimeVisibleParameterAnnotations())
                    .map(a -> a.parameterAnnotations()).orElse(List.of());
            List<String> params = new ArrayList<>();
            List<Signature> args = sig.arguments();
            for (int i = 0; i < args.size(); i++) {
                String p = ta.type(args.get(i), TypeAnnotation.TargetType.METHOD_FORMAL_PARAMETER, i);
                if (i == args.size() - 1 && (f & ClassFile.ACC_VARARGS) != 0 && p.endsWith("[]")) {
                    p = p.substring(0, p.length() - 2) + "...";
                }
                if (i < paramAnnotations.size()) {
                    p = annotations(paramAnnotations.get(i)) + p;
                }
                params.add(p);
            }
            b.append('(').append(String.join(", ", params)).append(')');
            List<String> throwsList = new ArrayList<>();
            if (!sig.throwableSignatures().isEmpty()) {
                for (int i = 0; i < sig.throwableSignatures().size(); i++) {
                    throwsList.add(ta.type(sig.throwableSignatures().get(i), TypeAnnotation.TargetType.THROWS, i));
                }
            } else {
                List<ClassEntry> ex = mm.findAttribute(Attributes.exceptions()).map(a -> a.exceptions())
                        .orElse(List.of());
                for (int i = 0; i < ex.size(); i++) {
                    throwsList.add(ta.type(Signature.ClassTypeSig.of(ex.get(i).asInternalName()),
                            TypeAnnotation.TargetType.THROWS, i));
                }
            }
            if (!throwsList.isEmpty()) {
                b.append(" throws ").append(String.join(", ", throwsList));
            }
            return b.append(ta.leftovers()).toString();
        }

        private String typeParams(List<Signature.TypeParam> tps, TypeAnnotations ta, TypeAnnotation.TargetType param,
                                  TypeAnnotation.TargetType bound) {
            if (tps.isEmpty()) {
                return "";
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < tps.size(); i++) {
                Signature.TypeParam tp = tps.get(i);
                StringBuilder b = new StringBuilder(ta.take(param, i, "")).append(tp.identifier());
                List<String> bounds = new ArrayList<>();
                // bound index 0 is the class bound (even when absent), interface bounds count from 1
                if (tp.classBound().isPresent() && !isObject(tp.classBound().get())) {
                    bounds.add(ta.typeParamBound(tp.classBound().get(), bound, i, 0));
                }
                for (int j = 0; j < tp.interfaceBounds().size(); j++) {
                    bounds.add(ta.typeParamBound(tp.interfaceBounds().get(j), bound, i, j + 1));
                }
                if (!bounds.isEmpty()) {
                    b.append(" extends ").append(String.join(" & ", bounds));
                }
                out.add(b.toString());
            }
            return "<" + String.join(", ", out) + ">";
        }

        private static boolean isObject(Signature s) {
            return s instanceof Signature.ClassTypeSig ct && ct.className().equals("java/lang/Object")
                    && ct.typeArgs().isEmpty();
        }

        /** {@code java/lang/String} → {@code String}; a type of this package without it; else qualified. */
        String name(String internalName) {
            String n = internalName;
            if (n.startsWith(pkg) && n.indexOf('/', pkg.length()) < 0) {
                n = n.substring(pkg.length());
            } else if (n.startsWith("java/lang/") && n.indexOf('/', "java/lang/".length()) < 0) {
                n = n.substring("java/lang/".length());
            }
            return n.replace('/', '.').replace('$', '.');
        }

        private String declarationAnnotations(AttributedElement e) {
            return e.findAttribute(Attributes.runtimeVisibleAnnotations()).map(a -> annotations(a.annotations()))
                    .orElse("");
        }

        private String annotations(List<Annotation> list) {
            return list.stream().map(a -> annotation(a) + " ").collect(Collectors.joining());
        }

        /** An annotation by its simple name, with its elements. */
        static String annotation(Annotation a) {
            String n = a.classSymbol().displayName();
            StringBuilder b = new StringBuilder("@").append(n);
            if (!a.elements().isEmpty()) {
                b.append('(');
                List<String> els = new ArrayList<>();
                for (AnnotationElement e : a.elements()) {
                    els.add(e.name().stringValue() + "=" + annotationValue(e.value()));
                }
                b.append(String.join(", ", els)).append(')');
            }
            return b.toString();
        }

        private static String annotationValue(AnnotationValue v) {
            return switch (v) {
                case AnnotationValue.OfString s -> quote(s.stringValue());
                case AnnotationValue.OfEnum e -> e.classSymbol().displayName() + "." + e.constantName().stringValue();
                case AnnotationValue.OfClass k -> k.classSymbol().displayName() + ".class";
                case AnnotationValue.OfAnnotation an -> annotation(an.annotation());
                case AnnotationValue.OfArray arr -> arr.values().stream().map(PublicApiSignatureTest.TypeRenderer::annotationValue)
                        .collect(Collectors.joining(", ", "{", "}"));
                case AnnotationValue.OfConstant k -> String.valueOf(k.resolvedValue());
            };
        }

        private static String constant(ConstantValueEntry e, String descriptor) {
            Object v = e.constantValue();
            return switch (descriptor) {
                case "Ljava/lang/String;" -> quote((String) v);
                case "J" -> v + "L";
                case "F" -> v + "f";
                case "Z" -> String.valueOf(((Integer) v) != 0);
                case "C" -> "'" + escape(String.valueOf((char) (int) (Integer) v)) + "'";
                default -> String.valueOf(v);
            };
        }

        private static String quote(String s) {
            return "\"" + escape(s) + "\"";
        }

        private static String escape(String s) {
            StringBuilder b = new StringBuilder();
            for (char ch : s.toCharArray()) {
                switch (ch) {
                    case '"' -> b.append("\\\"");
                    case '\'' -> b.append("\\'");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\t' -> b.append("\\t");
                    case '\r' -> b.append("\\r");
                    default -> {
                        if (ch < 0x20 || ch > 0x7e) {
                            b.append(String.format("\\u%04x", (int) ch));
                        } else {
                            b.append(ch);
                        }
                    }
                }
            }
            return b.toString();
        }

        /**
         * The runtime-visible type annotations of one class, field, method or record component, placed into the
         * types as they are rendered (by target and type path); any not placed are listed at the end of the line.
         */
        private final class TypeAnnotations {
            /** "target/index/path" → annotations, in order; removed when placed. */
            private final Map<String, List<String>> pending = new LinkedHashMap<>();

            TypeAnnotations(AttributedElement e) {
                e.findAttribute(Attributes.runtimeVisibleTypeAnnotations()).ifPresent(a -> {
                    for (TypeAnnotation t : a.annotations()) {
                        String key = key(t.targetInfo()) + "/" + path(t.targetPath());
                        pending.computeIfAbsent(key, k -> new ArrayList<>()).add(annotation(t.annotation()));
                    }
                });
            }

            private static String key(TypeAnnotation.TargetInfo t) {
                String index = switch (t) {
                    case TypeAnnotation.FormalParameterTarget p -> String.valueOf(p.formalParameterIndex());
                    case TypeAnnotation.SupertypeTarget s -> String.valueOf(s.supertypeIndex());
                    case TypeAnnotation.ThrowsTarget th -> String.valueOf(th.throwsTargetIndex());
                    case TypeAnnotation.TypeParameterBoundTarget b -> b.typeParameterIndex() + "." + b.boundIndex();
                    case TypeAnnotation.TypeParameterTarget p -> String.valueOf(p.typeParameterIndex());
                    default -> "-1";
                };
                return t.targetType() + ":" + index;
            }

            private static String path(List<TypeAnnotation.TypePathComponent> path) {
                StringBuilder b = new StringBuilder();
                for (TypeAnnotation.TypePathComponent p : path) {
                    switch (p.typePathKind()) {
                        case ARRAY -> b.append('[');
                        case INNER_TYPE -> b.append('.');
                        case WILDCARD -> b.append('*');
                        case TYPE_ARGUMENT -> b.append(p.typeArgumentIndex()).append(';');
                    }
                }
                return b.toString();
            }

            /** The annotations (each followed by a space) at target/index/path, now placed. */
            String take(TypeAnnotation.TargetType target, int index, String path) {
                return take(target + ":" + index + "/" + path);
            }

            private String take(String key) {
                List<String> a = pending.remove(key);
                return a == null ? "" : a.stream().map(s -> s + " ").collect(Collectors.joining());
            }

            String type(Signature s, TypeAnnotation.TargetType target, int index) {
                return render(s, target + ":" + index + "/", "");
            }

            String typeParamBound(Signature s, TypeAnnotation.TargetType target, int param, int bound) {
                return render(s, target + ":" + param + "." + bound + "/", "");
            }

            private String render(Signature s, String prefix, String path) {
                return switch (s) {
                    case Signature.BaseTypeSig b -> take(prefix + path) + switch (b.baseType()) {
                        case 'B' -> "byte";
                        case 'C' -> "char";
                        case 'D' -> "double";
                        case 'F' -> "float";
                        case 'I' -> "int";
                        case 'J' -> "long";
                        case 'S' -> "short";
                        case 'Z' -> "boolean";
                        case 'V' -> "void";
                        default -> throw new IllegalStateException("base type " + b.baseType());
                    };
                    case Signature.TypeVarSig v -> take(prefix + path) + v.identifier();
                    case Signature.ArrayTypeSig a -> {
                        // as Java writes it: String @A [] @B [] is an @A array of @B arrays of String
                        StringBuilder dims = new StringBuilder();
                        Signature element = a;
                        String elementPath = path;
                        while (element instanceof Signature.ArrayTypeSig level) {
                            String own = take(prefix + elementPath);
                            dims.append(own.isEmpty() ? "[]" : " " + own + "[]");
                            element = level.componentSignature();
                            elementPath += "[";
                        }
                        yield render(element, prefix, elementPath) + dims;
                    }
                    case Signature.ClassTypeSig ct -> {
                        StringBuilder b = new StringBuilder();
                        String innerPath = path;
                        if (ct.outerType().isPresent()) {
                            b.append(render(ct.outerType().get(), prefix, path)).append('.');
                            innerPath = path + ".";
                            b.append(take(prefix + innerPath)).append(ct.className());
                        } else {
                            b.append(take(prefix + path)).append(name(ct.className()));
                        }
                        if (!ct.typeArgs().isEmpty()) {
                            List<String> args = new ArrayList<>();
                            for (int i = 0; i < ct.typeArgs().size(); i++) {
                                String argPath = innerPath + i + ";";
                                args.add(switch (ct.typeArgs().get(i)) {
                                    case Signature.TypeArg.Unbounded u -> take(prefix + argPath) + "?";
                                    case Signature.TypeArg.Bounded bd -> switch (bd.wildcardIndicator()) {
                                        case NONE -> render(bd.boundType(), prefix, argPath);
                                        case EXTENDS -> take(prefix + argPath) + "? extends "
                                                + render(bd.boundType(), prefix, argPath + "*");
                                        case SUPER -> take(prefix + argPath) + "? super "
                                                + render(bd.boundType(), prefix, argPath + "*");
                                    };
                                });
                            }
                            b.append('<').append(String.join(", ", args)).append('>');
                        }
                        yield b.toString();
                    }
                    default -> throw new IllegalStateException("signature " + s.signatureString());
                };
            }

            /** Annotations not placed in a rendered type (e.g. on a receiver): {@code "  // type annotations: ..."}. */
            String leftovers() {
                if (pending.isEmpty()) {
                    return "";
                }
                Map<String, List<String>> rest = new HashMap<>(pending);
                pending.clear();
                return "  // type annotations: " + new TreeMap<>(rest);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A unified diff (longest common subsequence; the files are a few thousand lines at most)

    static String unifiedDiff(List<String> a, List<String> b, String nameA, String nameB) {
        int n = a.size();
        int m = b.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = a.get(i).equals(b.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        record Op(char kind, int i, int j) {} // ' ', '-', '+'; i, j: the line's index in a, b (before it for +/-)
        List<Op> ops = new ArrayList<>();
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && a.get(i).equals(b.get(j))) {
                ops.add(new Op(' ', i++, j++));
            } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
                ops.add(new Op('-', i++, j));
            } else {
                ops.add(new Op('+', i, j++));
            }
        }
        final int context = 3;
        final int maxLines = 400;
        StringBuilder out = new StringBuilder("--- ").append(nameA).append("\n+++ ").append(nameB).append('\n');
        int lines = 0;
        int k = 0;
        while (k < ops.size()) {
            if (ops.get(k).kind() == ' ') {
                k++;
                continue;
            }
            int start = Math.max(0, k - context);
            int end = k; // extend the hunk while changes are within 2 * context lines of each other
            int lastChange = k;
            while (end < ops.size() && end - lastChange <= 2 * context) {
                if (ops.get(end).kind() != ' ') {
                    lastChange = end;
                }
                end++;
            }
            end = Math.min(ops.size(), lastChange + context + 1);
            int aStart = ops.get(start).i();
            int bStart = ops.get(start).j();
            int aCount = 0;
            int bCount = 0;
            for (int x = start; x < end; x++) {
                char kind = ops.get(x).kind();
                aCount += kind != '+' ? 1 : 0;
                bCount += kind != '-' ? 1 : 0;
            }
            out.append("@@ -").append(aStart + 1).append(',').append(aCount).append(" +").append(bStart + 1).append(',')
                    .append(bCount).append(" @@\n");
            for (int x = start; x < end; x++) {
                Op op = ops.get(x);
                String line = op.kind() == '+' ? b.get(op.j()) : a.get(op.i());
                out.append(op.kind()).append(line).append('\n');
                if (++lines >= maxLines) {
                    return out.append("... (diff cut at ").append(maxLines).append(" lines)\n").toString();
                }
            }
            k = end;
        }
        return out.toString();
    }

    /** The diff itself (a check that the failure message is readable). */
    @Test
    void unifiedDiffShowsChangedLinesWithContext() {
        String d = unifiedDiff(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"),
                List.of("a", "b", "c", "d", "E", "f", "g", "h", "i", "j", "k"), "old", "new");
        assertTrue(d.contains("@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"), d);
        String far = unifiedDiff(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"),
                List.of("A", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "L"), "old", "new");
        assertTrue(far.contains("@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n@@ -9,4 +9,4 @@\n i\n j\n k\n-l\n+L\n"),
                far);
        assertTrue(Set.of(d.split("\n")).contains("--- old"), d);
    }
}
