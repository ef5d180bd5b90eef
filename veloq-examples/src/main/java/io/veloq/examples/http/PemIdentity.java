package io.veloq.examples.http;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * A server's TLS identity from the two PEM files {@code openssl} writes: a certificate chain (the server's
 * first) and an unencrypted PKCS#8 private key, as made by
 * {@code openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout key.pem -out cert.pem}.
 * The JDK reads neither file as a key store, so they are put into an in-memory one.
 *
 * @param cert the certificate chain file
 * @param key  the private key file
 */
public record PemIdentity(Path cert, Path key) {
    private static final String BEGIN_KEY = "-----BEGIN PRIVATE KEY-----";
    private static final String END_KEY = "-----END PRIVATE KEY-----";

    /** An {@link SSLContext} for a server with this identity (TLS 1.2 and 1.3, the JDK's defaults). */
    public SSLContext serverContext() throws IOException {
        List<X509Certificate> chain = certificates();
        PrivateKey k = privateKey(chain.get(0).getPublicKey().getAlgorithm());
        try {
            char[] password = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", k, password, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, password);
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(kmf.getKeyManagers(), null, null);
            return c;
        } catch (GeneralSecurityException e) {
            throw new IOException("the key in " + key + " does not go with the certificate in " + cert + ": " + e.getMessage(), e);
        }
    }

    private List<X509Certificate> certificates() throws IOException {
        try (InputStream in = Files.newInputStream(cert)) {
            List<X509Certificate> chain = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(c -> (X509Certificate) c).toList();
            if (chain.isEmpty()) {
                throw new IOException("no certificate in " + cert + " (expected PEM: -----BEGIN CERTIFICATE-----)");
            }
            return chain;
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("cannot read a certificate from " + cert + ": " + e.getMessage(), e);
        }
    }

    private PrivateKey privateKey(String algorithm) throws IOException {
        String pem = Files.readString(key, StandardCharsets.US_ASCII);
        int begin = pem.indexOf(BEGIN_KEY);
        int end = pem.indexOf(END_KEY);
        if (begin < 0 || end < begin) {
            String why = pem.contains("ENCRYPTED PRIVATE KEY") ? "it is encrypted"
                    : pem.contains("RSA PRIVATE KEY") || pem.contains("EC PRIVATE KEY") ? "it is a PKCS#1/SEC1 key"
                    : "it holds no " + BEGIN_KEY + " block";
            throw new IOException("cannot read the private key in " + key + ": " + why + "; an unencrypted PKCS#8 key "
                    + "is needed (openssl pkcs8 -topk8 -nocrypt -in " + key.getFileName() + " -out key-pkcs8.pem)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + BEGIN_KEY.length(), end));
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IOException("cannot read the " + algorithm + " private key in " + key + " (the certificate's "
                    + "key type): " + e.getMessage(), e);
        }
    }
}
