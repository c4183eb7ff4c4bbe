// Differential-test helper: parses queries with Lucene's classic QueryParser.
//
// Reads one query per line from stdin and prints, per line, either
// "OK\t" + query.toString() or "ERROR\t" + message (newlines escaped as \n).
// Usage: java -cp lucene-core.jar:lucene-queryparser.jar:lucene-analyzers-common.jar:. \
//            ParseQueries [OR|AND]
//
// Analyzer (mirrored by the Python test resolver): split on whitespace, '-' and ',',
// lowercase, drop the stopwords below (positions of dropped words are kept as gaps).
// normalize() (used for range bounds and wildcard chunks) lowercases.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.util.CharTokenizer;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.Query;

public final class ParseQueries {
  static final CharArraySet STOPWORDS =
      new CharArraySet(Arrays.asList("the", "of", "de", "het", "een"), false);

  static final class TestAnalyzer extends Analyzer {
    @Override
    protected TokenStreamComponents createComponents(String fieldName) {
      Tokenizer source = CharTokenizer.fromSeparatorCharPredicate(
          c -> Character.isWhitespace(c) || c == '-' || c == ',');
      TokenStream result = new LowerCaseFilter(source);
      result = new StopFilter(result, STOPWORDS);
      return new TokenStreamComponents(source, result);
    }

    @Override
    protected TokenStream normalize(String fieldName, TokenStream in) {
      return new LowerCaseFilter(in);
    }
  }

  public static void main(String[] args) throws Exception {
    boolean and = args.length > 0 && args[0].equalsIgnoreCase("AND");
    Analyzer analyzer = new TestAnalyzer();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    String line;
    while ((line = in.readLine()) != null) {
      QueryParser parser = new QueryParser("text", analyzer);
      parser.setDefaultOperator(and ? QueryParser.Operator.AND : QueryParser.Operator.OR);
      parser.setSplitOnWhitespace(true);
      parser.setAllowLeadingWildcard(true);
      parser.setAutoGeneratePhraseQueries(false);
      try {
        Query q = parser.parse(line);
        out.println("OK\t" + q.toString());
      } catch (Exception | Error e) {
        String msg = String.valueOf(e.getMessage()).replace("\\", "\\\\").replace("\n", "\\n");
        out.println("ERROR\t" + msg);
      }
    }
    out.flush();
  }
}
