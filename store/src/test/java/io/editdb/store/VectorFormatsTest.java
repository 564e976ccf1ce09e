package io.editdb.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene103.Lucene103Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.junit.jupiter.api.Test;

/**
 * The vector formats carry a version in their SPI names; segments written under the names used
 * before (EditDbHnsw, EditDbFlat) are still read, and a merge rewrites them under the new ones.
 */
class VectorFormatsTest {
  private static final int DIM = 1500; // above Lucene's own 1024 limit

  private static IndexWriterConfig config(KnnVectorsFormat hnsw, KnnVectorsFormat flat) {
    return new IndexWriterConfig()
        .setCodec(
            new Lucene103Codec() {
              @Override
              public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                return field.equals("t") ? flat : hnsw;
              }
            });
  }

  private static Document doc(int i) {
    float[] v = unit(i);
    Document d = new Document();
    d.add(new KnnFloatVectorField("v", v, VectorSimilarityFunction.DOT_PRODUCT));
    d.add(new KnnFloatVectorField("t", v, VectorSimilarityFunction.DOT_PRODUCT));
    return d;
  }

  /** Unit vectors at angles 0.1 * i in the first two coordinates: doc i is nearest to unit(i). */
  private static float[] unit(int i) {
    float[] v = new float[DIM];
    v[0] = (float) Math.cos(0.1 * i);
    v[1] = (float) Math.sin(0.1 * i);
    return v;
  }

  private static String formatOf(Directory dir, String field) throws IOException {
    try (DirectoryReader r = DirectoryReader.open(dir)) {
      LeafReader leaf = r.leaves().get(0).reader();
      FieldInfo info = leaf.getFieldInfos().fieldInfo(field);
      return info.getAttribute("PerFieldKnnVectorsFormat.format");
    }
  }

  @Test
  void segmentsOfTheUnversionedNamesAreReadAndRewrittenUnderTheVersionedOnes() throws IOException {
    try (Directory dir = new ByteBuffersDirectory()) {
      try (IndexWriter w =
          new IndexWriter(dir, config(new HnswFormat.Legacy(), new FlatFormat.Legacy()))) {
        for (int i = 0; i < 20; i++) {
          w.addDocument(doc(i));
        }
      }
      assertEquals("EditDbHnsw", formatOf(dir, "v"));
      assertEquals("EditDbFlat", formatOf(dir, "t"));
      try (DirectoryReader r = DirectoryReader.open(dir)) { // found through SPI by the old names
        float[] q = unit(7);
        assertEquals(
            7, new IndexSearcher(r).search(new KnnFloatVectorQuery("v", q, 1), 1).scoreDocs[0].doc);
        assertEquals(20, r.leaves().get(0).reader().getFloatVectorValues("t").size());
      }
      try (IndexWriter w =
          new IndexWriter(dir, config(new HnswFormat(16, 100), new FlatFormat()))) {
        w.addDocument(doc(20));
        w.forceMerge(1);
      }
      assertEquals(HnswFormat.NAME, formatOf(dir, "v"));
      assertEquals(FlatFormat.NAME, formatOf(dir, "t"));
      assertEquals("EditDbHnsw1", HnswFormat.NAME);
      assertEquals("EditDbFlat1", FlatFormat.NAME);
    }
  }
}
