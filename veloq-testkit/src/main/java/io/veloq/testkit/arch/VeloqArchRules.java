package io.veloq.testkit.arch;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.ThrowsDeclaration;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Veloq's layering rules as ArchUnit rules, shipped so that anyone can check a build against them: our
 * own modules in Veloq's tests, a third-party driver with {@link #forDriver(String)}.
 *
 * <pre>{@code
 * JavaClasses classes = new ClassFileImporter().importPaths(Path.of("target/classes"));
 * for (ArchRule rule : VeloqArchRules.forDriver("com.acme.veloq.driver..")) {
 *     rule.check(classes);   // AssertionError listing every violation
 * }
 * }</pre>
 *
 * <p>The rules, as STYLE.md and issue 2 state them: {@code veloq.api} depends on nothing but the JDK;
 * drivers depend only on the spi/api packages exported to them, the JDK and jnr-ffi/jffi; no jnr-ffi or
 * jffi type appears in a public signature of the api or the spi; no package cycles; no
 * {@code sun.misc.Unsafe} anywhere.
 *
 * @since 0.1
 */
public final class VeloqArchRules {
    /** Every package of the api module. */
    public static final String API = "io.veloq.api..";
    /** Every package of the spi module (exported and internal). */
    public static final String SPI = "io.veloq.spi..";
    /** Veloq's own driver modules. */
    public static final String DRIVERS = "io.veloq.driver..";

    /** The api packages exported to everyone (not {@code io.veloq.api.bootstrap}, which only the spi sees). */
    static final String[] API_EXPORTED = {"io.veloq.api", "io.veloq.api.op", "io.veloq.api.buffer", "io.veloq.api.net",
        "io.veloq.api.tls", "io.veloq.api.xdp"};
    /** The spi packages exported to drivers (not the host). */
    static final String[] SPI_EXPORTED = {"io.veloq.spi", "io.veloq.spi.xdp"};
    /** jnr-ffi and jffi, the native-call libraries drivers may use. */
    static final String[] JNR = {"jnr.ffi..", "com.kenai.jffi.."};
    /** The JDK as drivers may use it: the standard API and the supported {@code jdk.net} extensions. */
    static final String[] JDK = {"java..", "javax..", "jdk.net.."};

    private VeloqArchRules() {
    }

    /**
     * {@code veloq.api} depends on nothing but {@code java.base}: {@code java.*}, and {@code javax.net.ssl} (in
     * {@code java.base}) for the TLS streams of {@code io.veloq.api.tls}.
     */
    public static final ArchRule API_DEPENDS_ONLY_ON_JDK = classes().that().resideInAPackage(API)
            .should().onlyDependOnClassesThat().resideInAnyPackage(API, "java..", "javax.net.ssl..")
            .as("veloq.api depends only on the JDK (java.*, javax.net.ssl) and itself")
            .because("an application that codes against the API must pull in no third-party code");

    /** Veloq's drivers depend only on what {@link #forDriver(String)} allows. */
    public static final ArchRule DRIVERS_DEPEND_ONLY_ON_SPI_API_JDK_AND_JNR = driverDependencies(DRIVERS);

    /** No jnr-ffi or jffi type in a public or protected signature of a public api or spi type. */
    public static final ArchRule NO_JNR_TYPES_IN_API_OR_SPI_SIGNATURES = classes()
            .that().resideInAnyPackage(API, SPI)
            .should(exposeNoTypeFrom("jnr.", "com.kenai.jffi."))
            .as("no jnr-ffi or jffi type appears in a public signature of veloq.api or veloq.spi")
            .because("the native-call library is a driver's private choice; swapping it must not change the API");

    /**
     * No cycles between Veloq's packages. Every package is a slice, with two exceptions, both packages split
     * for encapsulation rather than layering:
     * <ul>
     *   <li>all of {@code veloq.api} is one slice: its packages are one vocabulary by design ({@code Op}
     *       names {@code OpPayload} and {@code FixedBuf}; {@code Cancel} names {@code Op}; {@code FixedBuf}
     *       knows {@code OpKind} and its owning {@code Op}; the bootstrap bridge, exported only to the spi,
     *       reaches into both);</li>
     *   <li>a package named {@code internal} (and anything under it) belongs to its parent package's slice: a
     *       public facade and the implementation it wraps, split only so that the module can leave the
     *       implementation unexported ({@code io.veloq.spi.internal.host} is part of {@code io.veloq.spi}).</li>
     * </ul>
     * Sibling packages, and a driver's binding package ({@code ...ffi}) and the driver, may not form a cycle.
     */
    public static final ArchRule NO_PACKAGE_CYCLES = slices().assignedFrom(veloqPackages())
            .should().beFreeOfCycles()
            .as("Veloq's packages are free of cycles (veloq.api one slice; X.internal.. part of X)");

    /** Nothing uses {@code sun.misc.Unsafe} (or the JDK-internal one). */
    public static final ArchRule NO_UNSAFE = noClasses().that().resideInAPackage("io.veloq..")
            .should().dependOnClassesThat().haveFullyQualifiedName("sun.misc.Unsafe")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("jdk.internal.misc.Unsafe")
            .as("no Veloq class uses sun.misc.Unsafe")
            .because("it is terminally deprecated (JDK 25 warns on first use); drivers use jffi's MemoryIO and VarHandles");

    /** Every rule above, for checking Veloq's own modules. */
    public static List<ArchRule> all() {
        return List.of(API_DEPENDS_ONLY_ON_JDK, DRIVERS_DEPEND_ONLY_ON_SPI_API_JDK_AND_JNR,
                NO_JNR_TYPES_IN_API_OR_SPI_SIGNATURES, NO_PACKAGE_CYCLES, NO_UNSAFE);
    }

    /**
     * The rules for a driver in {@code driverPackage} (an ArchUnit package pattern such as
     * {@code "com.acme.veloq.driver.."}): its dependencies, no package cycles inside it, no Unsafe.
     */
    public static List<ArchRule> forDriver(String driverPackage) {
        return List.of(driverDependencies(driverPackage),
                slices().matching(trimDots(driverPackage) + ".(**)").should().beFreeOfCycles()
                        .allowEmptyShould(true)
                        .as("the packages of " + driverPackage + " are free of cycles"),
                noClasses().that().resideInAPackage(driverPackage)
                        .should().dependOnClassesThat().haveFullyQualifiedName("sun.misc.Unsafe")
                        .as("no class in " + driverPackage + " uses sun.misc.Unsafe"));
    }

    private static ArchRule driverDependencies(String driverPackage) {
        List<String> allowed = new ArrayList<>();
        allowed.add(driverPackage);
        allowed.addAll(List.of(SPI_EXPORTED));
        allowed.addAll(List.of(API_EXPORTED));
        allowed.addAll(List.of(JDK));
        allowed.addAll(List.of(JNR));
        return classes().that().resideInAPackage(driverPackage)
                .should().onlyDependOnClassesThat().resideInAnyPackage(allowed.toArray(String[]::new))
                .allowEmptyShould(driverPackage.equals(DRIVERS)) // our driver modules may be empty on a platform
                .as("drivers in " + driverPackage + " depend only on the exported spi/api packages, the JDK and jnr-ffi/jffi")
                .because("a driver is a provider module: everything else it needs comes through the SPI");
    }

    private static String trimDots(String pattern) {
        return pattern.endsWith("..") ? pattern.substring(0, pattern.length() - 2) : pattern;
    }

    private static SliceAssignment veloqPackages() {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                String p = c.getPackageName();
                if (p.equals("io.veloq.api") || p.startsWith("io.veloq.api.")) {
                    return SliceIdentifier.of("veloq.api");
                }
                if (!p.startsWith("io.veloq.")) {
                    return SliceIdentifier.ignore();
                }
                int internal = p.indexOf(".internal");
                boolean isInternal = internal > 0 && (p.length() == internal + 9 || p.charAt(internal + 9) == '.');
                return SliceIdentifier.of(isInternal ? p.substring(0, internal) : p);
            }

            @Override
            public String getDescription() {
                return "Veloq packages (veloq.api as one slice, X.internal.. as part of X)";
            }
        };
    }

    /** Public and protected members of public types must not mention a type whose name starts with a prefix. */
    static ArchCondition<JavaClass> exposeNoTypeFrom(String... prefixes) {
        return new ArchCondition<>("expose no type from " + String.join(", ", prefixes) + " in a public signature") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                if (!isVisible(c)) {
                    return;
                }
                Set<String> found = new TreeSet<>();
                c.getSuperclass().ifPresent(t -> scan(t, "superclass", prefixes, found));
                for (JavaType t : c.getInterfaces()) {
                    scan(t, "interface", prefixes, found);
                }
                for (JavaCodeUnit u : c.getCodeUnits()) {
                    if (!exposed(u.getModifiers())) {
                        continue;
                    }
                    String where = u.getName() + "(...)";
                    scan(u.getReturnType(), where + " returns", prefixes, found);
                    for (JavaType p : u.getParameterTypes()) {
                        scan(p, where + " takes", prefixes, found);
                    }
                    for (ThrowsDeclaration<?> t : u.getThrowsClause()) {
                        scan(t.getRawType(), where + " throws", prefixes, found);
                    }
                }
                for (JavaField f : c.getFields()) {
                    if (exposed(f.getModifiers())) {
                        scan(f.getType(), "field " + f.getName(), prefixes, found);
                    }
                }
                for (String v : found) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + ": " + v));
                }
                if (found.isEmpty()) {
                    events.add(SimpleConditionEvent.satisfied(c, c.getName() + " exposes no such type"));
                }
            }
        };
    }

    private static boolean isVisible(JavaClass c) {
        for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
            if (!k.getModifiers().contains(JavaModifier.PUBLIC) && !k.getModifiers().contains(JavaModifier.PROTECTED)) {
                return false;
            }
        }
        return true;
    }

    private static boolean exposed(Set<JavaModifier> modifiers) {
        return modifiers.contains(JavaModifier.PUBLIC) || modifiers.contains(JavaModifier.PROTECTED);
    }

    private static void scan(JavaType type, String where, String[] prefixes, Set<String> found) {
        for (JavaClass raw : type.getAllInvolvedRawTypes()) {
            for (String prefix : prefixes) {
                if (raw.getName().startsWith(prefix)) {
                    found.add(where + " " + raw.getName());
                }
            }
        }
    }
}
