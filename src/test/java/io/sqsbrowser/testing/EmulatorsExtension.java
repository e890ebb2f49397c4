package io.sqsbrowser.testing;

import io.sqsbrowser.local.Emulators;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the shared {@link Emulators}: started on first use, closed by JUnit when the whole test run ends
 * (they live in the root store, whose AutoCloseable values JUnit closes). Also injects a {@link TestApi}
 * with resources of its own, one per test (shared by its {@code @BeforeEach}), closed after the test.
 */
public final class EmulatorsExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Emulators.class || parameter.getParameter().getType() == TestApi.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Emulators emulators = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(Emulators.class, k -> Emulators.start(), Emulators.class);
        if (parameter.getParameter().getType() == Emulators.class) {
            return emulators;
        }
        return context.getStore(ExtensionContext.Namespace.create(EmulatorsExtension.class))
                .getOrComputeIfAbsent(TestApi.class, k -> TestApi.create(emulators), TestApi.class);
    }
}
