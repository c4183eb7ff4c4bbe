// Differential-test helper: which index terms Lucene's FuzzyQuery expands to, and with
// which boost.
//
// stdin: the first line is the vocabulary (terms separated by spaces; each occurrence is
// one document with that term in field "f", so a repeated term has a higher docFreq);
// every further line is "term<TAB>maxEdits". For each query line prints the fully
// rewritten query (FuzzyQuery with Solr's defaults: prefix length 0, 50 expansions,
// transpositions) as Query.toString(), or "ERROR\t" + message.
// Usage: java -cp lucene-core.jar:. FuzzyTerms

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.store.ByteBuffersDirectory;

public final class FuzzyTerms {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    ByteBuffersDirectory dir = new ByteBuffersDirectory();
    try (IndexWriter w = new IndexWriter(dir, new IndexWriterConfig(new KeywordAnalyzer()))) {
      for (String t : in.readLine().trim().split(" +")) {
        Document d = new Document();
        d.add(new StringField("f", t, Field.Store.NO));
        w.addDocument(d);
      }
    }
    IndexSearcher searcher = new IndexSearcher(DirectoryReader.open(dir));
    String line;
    while ((line = in.readLine()) != null) {
      String[] parts = line.split("\t");
      try {
        Query q = new FuzzyQuery(new Term("f", parts[0]), Integer.parseInt(parts[1]),
            FuzzyQuery.defaultPrefixLength, FuzzyQuery.defaultMaxExpansions,
            FuzzyQuery.defaultTranspositions);
        out.println("OK\t" + searcher.rewrite(q).toString());
      } catch (Exception | Error e) {
        out.println("ERROR\t" + String.valueOf(e.getMessage()).replace("\n", "\\n"));
      }
    }
    out.flush();
  }
}
