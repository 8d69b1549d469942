package dev.gureum.lambda;

import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * gureum's minimal JSON: parse to Map/List/String/Long/Double/BigDecimal/Boolean/null,
 * write those (and arrays, enums, beans), and map parsed values onto Java types the way
 * AWS's Java runtime does for the common cases (String, numbers, Map, List, beans with
 * public fields or setters; property names matched case-insensitively).
 */
public final class Json {
    private Json() {}

    // ---- parsing --------------------------------------------------------------------
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw new IllegalArgumentException("Unexpected character at offset " + p.i);
        return v;
    }

    private static final class Parser {
        final String s;
        int i;

        Parser(String s) { this.s = s; }

        void ws() {
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++; else break;
            }
        }

        IllegalArgumentException err(String what) {
            return new IllegalArgumentException(what + " at offset " + i);
        }

        Object value() {
            if (i >= s.length()) throw err("Unexpected end of input");
            char c = s.charAt(i);
            switch (c) {
                case '{': return object();
                case '[': return array();
                case '"': return string();
                case 't': lit("true"); return Boolean.TRUE;
                case 'f': lit("false"); return Boolean.FALSE;
                case 'n': lit("null"); return null;
                default: return number();
            }
        }

        void lit(String w) {
            if (!s.startsWith(w, i)) throw err("Unexpected token");
            i += w.length();
        }

        Map<String, Object> object() {
            Map<String, Object> m = new LinkedHashMap<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == '}') { i++; return m; }
            while (true) {
                ws();
                if (i >= s.length() || s.charAt(i) != '"') throw err("Expected a name");
                String k = string();
                ws();
                if (i >= s.length() || s.charAt(i) != ':') throw err("Expected ':'");
                i++;
                ws();
                m.put(k, value());
                ws();
                if (i >= s.length()) throw err("Unterminated object");
                char c = s.charAt(i++);
                if (c == '}') return m;
                if (c != ',') throw err("Expected ',' or '}'");
            }
        }

        List<Object> array() {
            List<Object> l = new ArrayList<>();
            i++;
            ws();
            if (i < s.length() && s.charAt(i) == ']') { i++; return l; }
            while (true) {
                ws();
                l.add(value());
                ws();
                if (i >= s.length()) throw err("Unterminated array");
                char c = s.charAt(i++);
                if (c == ']') return l;
                if (c != ',') throw err("Expected ',' or ']'");
            }
        }

        String string() {
            StringBuilder b = new StringBuilder();
            i++;
            while (true) {
                if (i >= s.length()) throw err("Unterminated string");
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                if (i >= s.length()) throw err("Unterminated string");
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u':
                        if (i + 4 > s.length()) throw err("Bad escape");
                        b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        i += 4;
                        break;
                    default: b.append(e);
                }
            }
        }

        Object number() {
            int start = i;
            boolean real = false;
            while (i < s.length()) {
                char c = s.charAt(i);
                if ((c >= '0' && c <= '9') || c == '-' || c == '+') i++;
                else if (c == '.' || c == 'e' || c == 'E') { real = true; i++; }
                else break;
            }
            if (start == i) throw err("Unexpected character '" + s.charAt(i) + "'");
            String t = s.substring(start, i);
            if (real) return Double.valueOf(t);
            BigInteger n = new BigInteger(t);
            return n.bitLength() < 64 ? (Object) n.longValue() : new BigDecimal(n);
        }
    }

    // ---- writing --------------------------------------------------------------------
    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    static void write(StringBuilder b, Object v) {
        if (v == null) { b.append("null"); return; }
        if (v instanceof CharSequence || v instanceof Character) { quote(b, v.toString()); return; }
        if (v instanceof Boolean) { b.append(v); return; }
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) { quote(b, v.toString()); return; }
            b.append(v);
            return;
        }
        if (v instanceof Number) { b.append(v); return; }
        if (v instanceof Enum) { quote(b, ((Enum<?>) v).name()); return; }
        if (v instanceof Map) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) b.append(',');
                first = false;
                quote(b, String.valueOf(e.getKey()));
                b.append(':');
                write(b, e.getValue());
            }
            b.append('}');
            return;
        }
        if (v instanceof Iterable) {
            b.append('[');
            boolean first = true;
            for (Object o : (Iterable<?>) v) {
                if (!first) b.append(',');
                first = false;
                write(b, o);
            }
            b.append(']');
            return;
        }
        if (v.getClass().isArray()) {
            if (v instanceof byte[]) {
                quote(b, java.util.Base64.getEncoder().encodeToString((byte[]) v));
                return;
            }
            b.append('[');
            for (int k = 0, n = Array.getLength(v); k < n; k++) {
                if (k > 0) b.append(',');
                write(b, Array.get(v, k));
            }
            b.append(']');
            return;
        }
        write(b, beanToMap(v));
    }

    /** A bean's properties: public getters (getX/isX), then public fields. */
    static Map<String, Object> beanToMap(Object v) {
        Map<String, Object> m = new LinkedHashMap<>();
        Class<?> c = v.getClass();
        try {
            for (Method meth : c.getMethods()) {
                if (Modifier.isStatic(meth.getModifiers()) || meth.getParameterCount() != 0 || meth.getDeclaringClass() == Object.class) continue;
                String n = meth.getName();
                String prop = null;
                if (n.startsWith("get") && n.length() > 3) prop = n.substring(3);
                else if (n.startsWith("is") && n.length() > 2 && (meth.getReturnType() == boolean.class || meth.getReturnType() == Boolean.class)) prop = n.substring(2);
                if (prop == null) continue;
                meth.setAccessible(true);
                m.put(Character.toLowerCase(prop.charAt(0)) + prop.substring(1), meth.invoke(v));
            }
            for (Field f : c.getFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                m.putIfAbsent(f.getName(), f.get(v));
            }
        } catch (ReflectiveOperationException e) {
            throw new RuntimeException(e);
        }
        return m;
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }

    // ---- mapping onto Java types ----------------------------------------------------
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static Object convert(Object v, Type type) throws ReflectiveOperationException {
        Class<?> raw = rawClass(type);
        if (raw == Object.class) return v;
        if (v == null) {
            if (raw == boolean.class) return false;
            if (raw.isPrimitive()) return convert(0L, raw);
            return null;
        }
        if (raw == String.class || raw == CharSequence.class) return v instanceof String ? v : write(v);
        if (raw == int.class || raw == Integer.class) return (int) num(v).longValue();
        if (raw == long.class || raw == Long.class) return num(v).longValue();
        if (raw == double.class || raw == Double.class) return num(v).doubleValue();
        if (raw == float.class || raw == Float.class) return num(v).floatValue();
        if (raw == short.class || raw == Short.class) return (short) num(v).longValue();
        if (raw == byte.class || raw == Byte.class) return (byte) num(v).longValue();
        if (raw == boolean.class || raw == Boolean.class) return v instanceof Boolean ? v : Boolean.parseBoolean(v.toString());
        if (raw == BigDecimal.class) return new BigDecimal(v.toString());
        if (raw == BigInteger.class) return new BigDecimal(v.toString()).toBigInteger();
        if (raw.isEnum()) return Enum.valueOf((Class<Enum>) raw, v.toString());
        if (raw == byte[].class && v instanceof String) return java.util.Base64.getDecoder().decode((String) v);
        if (raw == java.nio.ByteBuffer.class && v instanceof String) return java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode((String) v));
        if (Map.class.isAssignableFrom(raw)) {
            if (!(v instanceof Map)) throw new IllegalArgumentException("Cannot map " + kind(v) + " onto " + type.getTypeName());
            Type vt = typeArg(type, 1);
            Map<Object, Object> out = raw.isInterface() || Modifier.isAbstract(raw.getModifiers()) ? new LinkedHashMap<>() : (Map<Object, Object>) raw.getDeclaredConstructor().newInstance();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) out.put(e.getKey(), convert(e.getValue(), vt));
            return out;
        }
        if (Collection.class.isAssignableFrom(raw)) {
            if (!(v instanceof List)) throw new IllegalArgumentException("Cannot map " + kind(v) + " onto " + type.getTypeName());
            Type et = typeArg(type, 0);
            Collection<Object> out;
            if (!raw.isInterface() && !Modifier.isAbstract(raw.getModifiers())) out = (Collection<Object>) raw.getDeclaredConstructor().newInstance();
            else if (Set.class.isAssignableFrom(raw)) out = new LinkedHashSet<>();
            else out = new ArrayList<>();
            for (Object o : (List<Object>) v) out.add(convert(o, et));
            return out;
        }
        if (raw.isArray()) {
            if (!(v instanceof List)) throw new IllegalArgumentException("Cannot map " + kind(v) + " onto " + type.getTypeName());
            List<Object> l = (List<Object>) v;
            Type ct = type instanceof GenericArrayType ? ((GenericArrayType) type).getGenericComponentType() : raw.getComponentType();
            Object arr = Array.newInstance(raw.getComponentType(), l.size());
            for (int k = 0; k < l.size(); k++) Array.set(arr, k, convert(l.get(k), ct));
            return arr;
        }
        if (!(v instanceof Map)) throw new IllegalArgumentException("Cannot map " + kind(v) + " onto " + raw.getName());
        return toBean((Map<String, Object>) v, raw);
    }

    static Object toBean(Map<String, Object> m, Class<?> raw) throws ReflectiveOperationException {
        Constructor<?> ctor = raw.getDeclaredConstructor();
        ctor.setAccessible(true);
        Object bean = ctor.newInstance();
        Map<String, Method> setters = new LinkedHashMap<>();
        for (Method meth : raw.getMethods()) {
            if (meth.getName().startsWith("set") && meth.getName().length() > 3 && meth.getParameterCount() == 1 && !Modifier.isStatic(meth.getModifiers())) {
                setters.putIfAbsent(meth.getName().substring(3).toLowerCase(), meth);
            }
        }
        Map<String, Field> fields = new LinkedHashMap<>();
        for (Field f : raw.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers())) continue;
            fields.putIfAbsent(f.getName().toLowerCase(), f);
        }
        for (Map.Entry<String, Object> e : m.entrySet()) {
            String key = e.getKey().toLowerCase();
            Method setter = setters.get(key);
            if (setter != null) {
                setter.invoke(bean, convert(e.getValue(), setter.getGenericParameterTypes()[0]));
                continue;
            }
            Field f = fields.get(key);
            if (f != null) f.set(bean, convert(e.getValue(), f.getGenericType()));
            // unknown properties are ignored
        }
        return bean;
    }

    static Number num(Object v) {
        if (v instanceof Number) return (Number) v;
        if (v instanceof String) return new BigDecimal((String) v);
        throw new IllegalArgumentException("Cannot map " + kind(v) + " onto a number");
    }

    static String kind(Object v) {
        if (v instanceof Map) return "an object";
        if (v instanceof List) return "an array";
        if (v instanceof String) return "a string";
        return v.getClass().getSimpleName();
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class) return (Class<?>) t;
        if (t instanceof ParameterizedType) return (Class<?>) ((ParameterizedType) t).getRawType();
        if (t instanceof GenericArrayType) return Array.newInstance(rawClass(((GenericArrayType) t).getGenericComponentType()), 0).getClass();
        return Object.class;  // type variables and wildcards
    }

    static Type typeArg(Type t, int k) {
        if (t instanceof ParameterizedType) {
            Type[] args = ((ParameterizedType) t).getActualTypeArguments();
            if (k < args.length) return args[k];
        }
        return Object.class;
    }
}
