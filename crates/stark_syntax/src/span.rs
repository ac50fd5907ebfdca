//! Byte-offset spans into a source file, and the index that turns offsets into lines.

/// Which source file a span is in: the program's files are numbered as they are read (the
/// file given to `stark` is 0). Modules need it to say where a diagnostic is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` into the source text of `file`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
    pub file: FileId,
}

impl Span {
    /// A span in file 0 (the lexer stamps the real file on every token: `lex_file`).
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
            file: FileId::default(),
        }
    }

    /// The smallest span covering both (which are in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
            file: self.file,
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The byte offset where each line starts, so that `file:line:col` costs a binary search
/// instead of a scan of the file (every diagnostic and stack frame asks).
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line and column (in chars) of a byte offset of `source` (the text this
    /// index was built from).
    pub fn line_col(&self, source: &str, offset: u32) -> (usize, usize) {
        let offset = offset.min(source.len() as u32);
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let line_start = self.starts[line - 1] as usize;
        let offset = offset as usize;
        let col = source
            .get(line_start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - line_start)
            + 1;
        (line, col)
    }
}

/// 1-based line and column (in chars) of a byte offset, for `file:line:col` output. Builds
/// a [`LineIndex`] each time: keep one when asking more than once.
pub fn line_col(source: &str, offset: u32) -> (usize, usize) {
    LineIndex::new(source).line_col(source, offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_agrees_with_counting_lines() {
        let src = "ab\n\nçd\r\nlast";
        let index = LineIndex::new(src);
        for offset in 0..=src.len() as u32 + 2 {
            let o = (offset as usize).min(src.len());
            let before = &src.as_bytes()[..o];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let col = src.get(start..o).map_or(o - start, |t| t.chars().count()) + 1;
            assert_eq!(index.line_col(src, offset), (line, col), "offset {offset}");
        }
    }
}
