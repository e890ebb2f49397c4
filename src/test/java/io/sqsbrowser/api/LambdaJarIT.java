package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The packaged Lambda jar alone is enough to serve requests: the handler is loaded in a class loader that
 * sees only that jar (and the JDK), then creates a session and sends a notification against the emulators.
 */
@ExtendWith(EmulatorsExtension.class)
class LambdaJarIT {
    private static final File JAR = new File("target/sqs-browser-events-api-0.1.0-SNAPSHOT.jar");

    @Test
    void theLambdaJarHasNoFlinkAndServesRequestsOnItsOwn(Emulators emulators) throws Exception {
        try (JarFile jar = new JarFile(JAR)) {
            assertThat(jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("org/apache/flink/"))).isEmpty();
            assertThat(jar.getEntry("io/sqsbrowser/api/ApiHandler.class")).isNotNull();
        }
        try (TestApi api = new TestApi(emulators);
                URLClassLoader loader = new URLClassLoader(new URL[] {JAR.toURI().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> configClass = loader.loadClass("io.sqsbrowser.api.ApiConfig");
            Object config = configClass.getMethod("fromEnvironment", Map.class).invoke(null, api.environment());
            Object handler = loader.loadClass("io.sqsbrowser.api.ApiHandler").getConstructor(configClass).newInstance(config);
            Class<?> requestClass = loader.loadClass("com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent");
            Class<?> contextClass = loader.loadClass("com.amazonaws.services.lambda.runtime.Context");
            for (String path : new String[] {"/create/100/200/jar-session", "/notify/user/200?message=hi"}) {
                Object request = requestClass.getConstructor().newInstance();
                requestClass.getMethod("setHttpMethod", String.class).invoke(request, "GET");
                int q = path.indexOf('?');
                requestClass.getMethod("setPath", String.class).invoke(request, q < 0 ? path : path.substring(0, q));
                if (q > 0) {
                    String[] kv = path.substring(q + 1).split("=");
                    requestClass.getMethod("setQueryStringParameters", Map.class).invoke(request, Map.of(kv[0], kv[1]));
                }
                Object response = handler.getClass().getMethod("handleRequest", requestClass, contextClass)
                        .invoke(handler, request, null);
                String body = (String) response.getClass().getMethod("getBody").invoke(response);
                assertThat(response.getClass().getMethod("getStatusCode").invoke(response)).as(body).isEqualTo(200);
            }
            assertThat(api.events()).hasSize(1);
        }
    }
}
