package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.Environ;
import org.minipylib.wsgiserver.StartResponse;
import org.minipylib.wsgiserver.WsgiApp;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * A {@link WsgiApp} that calls a public static method with the application's signature,
 * {@code (Environ, StartResponse) -> Iterable<byte[]>}. Exceptions from the method pass through
 * unchanged, as if the method were the application.
 */
final class StaticMethodApp implements WsgiApp {

    private static final MethodType APP_TYPE = MethodType.methodType(Iterable.class, Environ.class, StartResponse.class);

    private final MethodHandle handle;
    private final String name;

    /**
     * @param method a public static method of a public class taking {@code (Environ, StartResponse)}
     *               and returning an {@code Iterable}
     * @throws IllegalAccessException if the method cannot be called from here
     */
    StaticMethodApp(Method method) throws IllegalAccessException {
        this.handle = MethodHandles.publicLookup().unreflect(method).asType(APP_TYPE);
        this.name = method.getDeclaringClass().getName() + "::" + method.getName();
    }

    /** True if {@code method} can be adapted: static, {@code (Environ, StartResponse)}, returns an Iterable. */
    static boolean fits(Method method) {
        Class<?>[] parameters = method.getParameterTypes();
        return Modifier.isStatic(method.getModifiers())
                && parameters.length == 2 && parameters[0] == Environ.class && parameters[1] == StartResponse.class
                && Iterable.class.isAssignableFrom(method.getReturnType());
    }

    @Override
    @SuppressWarnings("unchecked")
    public Iterable<byte[]> call(Environ environ, StartResponse startResponse) throws Exception {
        try {
            return (Iterable<byte[]>) handle.invokeExact(environ, startResponse);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) { // neither an Exception nor an Error: only a custom Throwable subclass
            throw new IllegalStateException(t);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
