package org.minipylib.wsgiserver.cli;

import org.minipylib.wsgiserver.WsgiApp;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the application the APP argument names, on a class loader's class path. APP is one of:
 *
 * <ul>
 *   <li>{@code com.example.MyApp}: a public class implementing {@link WsgiApp} with a public no-argument
 *       constructor, which is called once;</li>
 *   <li>{@code com.example.MyApp::MEMBER}, where MEMBER is a public static field of type {@code WsgiApp},
 *       or a public static method with no parameters returning a {@code WsgiApp} (called once), or a
 *       public static method {@code Iterable<byte[]> MEMBER(Environ, StartResponse)}, which becomes the
 *       application itself.</li>
 * </ul>
 *
 * Nested classes go by their binary name: {@code com.example.Outer$Inner}.
 */
public final class AppLoader {

    private static final String KINDS = "APP must be a class implementing " + WsgiApp.class.getName()
            + " with a public no-argument constructor, or CLASS::MEMBER naming a public static WsgiApp field,"
            + " a public static no-argument method returning a WsgiApp, or a public static method"
            + " (Environ, StartResponse) -> Iterable<byte[]>";

    private final ClassLoader classLoader;
    private final String classPath;

    /** Loads application classes with {@code classLoader}. */
    public AppLoader(ClassLoader classLoader) {
        this(classLoader, System.getProperty("java.class.path", ""));
    }

    /**
     * Loads application classes with {@code classLoader}, whose class path, as {@code java.class.path}
     * gives it, is {@code classPath}: the hints of a class not found depend on it.
     */
    AppLoader(ClassLoader classLoader, String classPath) {
        this.classLoader = classLoader;
        this.classPath = classPath;
    }

    /**
     * The application {@code spec} names.
     *
     * @throws AppLoadingException       if {@code spec} names no usable application; the message says why
     * @throws InvocationTargetException if the application's own code (static initializer, constructor or
     *                                   factory method) threw; its cause is what was thrown
     */
    public WsgiApp load(String spec) throws AppLoadingException, InvocationTargetException {
        if (spec.isBlank()) throw new AppLoadingException("APP is empty: give CLASS or CLASS::MEMBER");
        int separator = spec.indexOf("::");
        if (separator < 0) return instantiate(loadClass(spec));
        String className = spec.substring(0, separator);
        String member = spec.substring(separator + 2);
        if (className.isEmpty() || member.isEmpty() || member.contains("::")) {
            throw new AppLoadingException("'" + spec + "' is not of the form CLASS or CLASS::MEMBER");
        }
        return fromMember(loadClass(className), member);
    }

    private Class<?> loadClass(String name) throws AppLoadingException, InvocationTargetException {
        try {
            return Class.forName(name, true, classLoader);
        } catch (ClassNotFoundException e) {
            throw new AppLoadingException("Class " + name + " not found on the class path" + notFoundHint(name));
        } catch (ExceptionInInitializerError e) {
            throw new InvocationTargetException(e.getCause(), "The static initializer of " + name + " failed");
        } catch (LinkageError e) { // e.g. a class it needs is missing
            throw new AppLoadingException("Class " + name + " cannot be loaded: " + e, e);
        } catch (Error e) { // an Error thrown by a static initializer reaches us as itself, not wrapped
            throw new InvocationTargetException(e, "The static initializer of " + name + " failed");
        }
    }

    /**
     * What may be meant instead of the class {@code name}, which is not found: a nested class (named
     * with {@code $}), a static member (named with {@code ::}), or, when the class path is the jar
     * alone, a class on a jar that still has to be put there. Empty if none of these.
     */
    private String notFoundHint(String name) {
        String nested = name;
        for (int dot = name.lastIndexOf('.'); dot > 0; dot = nested.lastIndexOf('.')) {
            nested = nested.substring(0, dot) + "$" + nested.substring(dot + 1);
            if (classExists(nested)) return " (did you mean " + nested + "? nested classes are named with $)";
        }
        int dot = name.lastIndexOf('.');
        String member = dot < 0 ? "" : name.substring(dot + 1);
        if (!member.isEmpty() && Character.isLowerCase(member.charAt(0)) && classExists(name.substring(0, dot))) {
            return " (a static method or field is named CLASS::MEMBER: " + name.substring(0, dot) + "::" + member + ")";
        }
        if (classPath.contains(java.io.File.pathSeparator)) return ""; // the application's jars are there already
        return " (run with java -cp wsgiserver.jar:YOUR.jar org.minipylib.wsgiserver.cli.Main " + name + ")";
    }

    private boolean classExists(String name) {
        try {
            Class.forName(name, false, classLoader);
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static WsgiApp instantiate(Class<?> type) throws AppLoadingException, InvocationTargetException {
        String name = type.getName();
        if (!WsgiApp.class.isAssignableFrom(type)) {
            throw new AppLoadingException(name + " does not implement " + WsgiApp.class.getName() + ". " + KINDS);
        }
        if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
            throw new AppLoadingException(name + " is abstract: it cannot be instantiated. " + KINDS);
        }
        if (!Modifier.isPublic(type.getModifiers())) {
            throw new AppLoadingException(name + " is not public");
        }
        Constructor<?> constructor;
        try {
            constructor = type.getConstructor();
        } catch (NoSuchMethodException e) {
            throw new AppLoadingException(name + " has no public no-argument constructor. " + KINDS);
        }
        try {
            return (WsgiApp) constructor.newInstance();
        } catch (InstantiationException | IllegalAccessException e) {
            throw new AppLoadingException("Cannot create an instance of " + name + ": " + e.getMessage(), e);
        }
    }

    private static WsgiApp fromMember(Class<?> type, String member) throws AppLoadingException, InvocationTargetException {
        String spec = type.getName() + "::" + member;
        try {
            Field field = field(type, member);
            if (field != null) return fromField(field, spec);
            List<Method> methods = methods(type, member);
            if (methods.isEmpty()) {
                throw new AppLoadingException(type.getName() + " has no public static field or method named " + member
                        + ". " + KINDS);
            }
            for (Method method : methods) {
                if (isFactory(method)) return fromFactory(method, spec);
            }
            for (Method method : methods) {
                if (StaticMethodApp.fits(method)) return new StaticMethodApp(method);
            }
            throw new AppLoadingException(spec + " is not a method of a kind that gives an application. " + KINDS);
        } catch (IllegalAccessException e) {
            throw new AppLoadingException("Cannot access " + spec + ": " + (Modifier.isPublic(type.getModifiers())
                    ? e.getMessage() : "the class " + type.getName() + " is not public"), e);
        }
    }

    private static Field field(Class<?> type, String name) {
        try {
            return type.getField(name);
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    private static List<Method> methods(Class<?> type, String name) {
        List<Method> found = new ArrayList<>();
        for (Method method : type.getMethods()) {
            if (method.getName().equals(name)) found.add(method);
        }
        return found;
    }

    private static WsgiApp fromField(Field field, String spec) throws AppLoadingException, IllegalAccessException {
        if (!Modifier.isStatic(field.getModifiers())) throw new AppLoadingException(spec + " is not static");
        if (!WsgiApp.class.isAssignableFrom(field.getType())) {
            throw new AppLoadingException(spec + " is a field of type " + field.getType().getName()
                    + ", not " + WsgiApp.class.getName());
        }
        Object value = field.get(null);
        if (value == null) throw new AppLoadingException(spec + " is null");
        return (WsgiApp) value;
    }

    private static boolean isFactory(Method method) {
        return Modifier.isStatic(method.getModifiers()) && method.getParameterCount() == 0
                && WsgiApp.class.isAssignableFrom(method.getReturnType());
    }

    private static WsgiApp fromFactory(Method method, String spec)
            throws AppLoadingException, IllegalAccessException, InvocationTargetException {
        Object value = method.invoke(null);
        if (value == null) throw new AppLoadingException(spec + "() returned null");
        return (WsgiApp) value;
    }
}
