package io.veloq.driver.iocp;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.veloq.testkit.arch.VeloqArchRules;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The testkit's layering rules for driver modules, applied to this driver's main classes: it depends only
 * on the exported spi/api packages, the JDK and jnr-ffi/jffi; its packages form no cycle; no Unsafe.
 */
public class ArchitectureTest {

    @Test
    void theDriverKeepsTheDriverRules() {
        JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));
        assertTrue(classes.stream().anyMatch(c -> c.getName().equals(IocpDriver.class.getName())),
                "driver classes imported from target/classes");
        for (ArchRule rule : VeloqArchRules.forDriver("io.veloq.driver.iocp..")) {
            rule.check(classes);
        }
    }
}
