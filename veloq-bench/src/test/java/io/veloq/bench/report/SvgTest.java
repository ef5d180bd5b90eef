package io.veloq.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.helpers.DefaultHandler;

class SvgTest {

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        DocumentBuilder b = f.newDocumentBuilder();
        b.setErrorHandler(new DefaultHandler() {
            @Override
            public void error(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXException {
                throw e;
            }

            @Override
            public void fatalError(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXException {
                throw e;
            }
        });
        return b.parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void chartIsWellFormedSvgWithOneBarPerValue() throws Exception {
        List<Svg.Panel> panels = List.of(
                new Svg.Panel("latency <1 x 1 x 64 B> & \"friends\"", List.of(
                        new Svg.Group("nio", new double[] {60, 120, 900}, null),
                        new Svg.Group("netty-uring", new double[] {65, Double.NaN, 1000}, null),
                        new Svg.Group("veloq", null, "not available yet"))),
                new Svg.Panel("tp64x16", List.of(
                        new Svg.Group("nio's", new double[] {0.5, 0.6, 0.7}, null))));
        String svg = Svg.chart("Echo latency", "µs, 2 CPUs", List.of("p50", "p99", "p99.9"), "µs", panels);
        Document d = parse(svg);
        Element root = d.getDocumentElement();
        assertEquals("svg", root.getLocalName());
        assertEquals("http://www.w3.org/2000/svg", root.getNamespaceURI());
        assertTrue(Integer.parseInt(root.getAttribute("height")) > 100);
        // bars carry a <title>: 3 + 2 (one NaN) + 3 = 8; plus 3 legend swatches and the background
        NodeList rects = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect");
        int bars = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            if (((Element) rects.item(i)).getElementsByTagNameNS("*", "title").getLength() == 1) {
                bars++;
                double w = Double.parseDouble(((Element) rects.item(i)).getAttribute("width"));
                assertTrue(w > 0 && w <= 960, "bar width " + w);
            }
        }
        assertEquals(8, bars);
        assertEquals(8 + 3 + 1, rects.getLength());
        String text = root.getTextContent();
        assertTrue(text.contains("latency <1 x 1 x 64 B> & \"friends\""), "escaped title round-trips");
        assertTrue(text.contains("not available yet"));
        assertTrue(text.contains("n/a"));
        assertTrue(text.contains("nio's"));
    }

    @Test
    void longestBarIsThePanelMaximum() throws Exception {
        String svg = Svg.chart("t", "s", List.of("msgs/s"), "msgs/s", List.of(new Svg.Panel("p", List.of(
                new Svg.Group("a", new double[] {50}, null), new Svg.Group("b", new double[] {100}, null)))));
        Document d = parse(svg);
        NodeList rects = d.getElementsByTagNameNS("*", "rect");
        double wa = Double.parseDouble(((Element) rects.item(1)).getAttribute("width"));
        double wb = Double.parseDouble(((Element) rects.item(2)).getAttribute("width"));
        assertEquals(2.0, wb / wa, 0.01);
    }

    @Test
    void escapeDropsControlCharacters() {
        assertEquals("a&amp;b&lt;c&gt;&quot;&apos;d", Svg.escape("a&b<c>\"'\u0001d"));
    }
}
