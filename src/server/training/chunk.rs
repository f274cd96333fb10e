//! Splitting documentation into chunks of at most ~1,000 characters on paragraph boundaries.

pub const MAX_CHARS: usize = 1000;

/// Splits `text` into chunks of at most `max` characters: whole paragraphs packed
/// together where they fit; a longer paragraph split on sentence ends; a longer
/// sentence split hard. Empty text gives no chunks.
pub fn chunk(text: &str, max: usize) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    for paragraph in paragraphs(text) {
        for piece in split_long(&paragraph, max) {
            let joined_len = current.chars().count() + 2 + piece.chars().count();
            if !current.is_empty() && joined_len > max {
                chunks.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push_str("\n\n");
            }
            current.push_str(&piece);
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(current.join("\n").trim().to_string());
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        out.push(current.join("\n").trim().to_string());
    }
    out.retain(|p| !p.is_empty());
    out
}

/// Splits one paragraph into pieces of at most `max` characters.
fn split_long(paragraph: &str, max: usize) -> Vec<String> {
    if paragraph.chars().count() <= max {
        return vec![paragraph.to_string()];
    }
    let mut sentences = Vec::new();
    let mut current = String::new();
    for ch in paragraph.chars() {
        current.push(ch);
        if matches!(ch, '.' | '!' | '?' | '。' | '！' | '？' | '；' | ';' | '\n') {
            sentences.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        sentences.push(current);
    }
    let mut pieces = Vec::new();
    let mut piece = String::new();
    for sentence in sentences {
        let sentence_len = sentence.chars().count();
        if sentence_len > max {
            if !piece.trim().is_empty() {
                pieces.push(std::mem::take(&mut piece).trim().to_string());
            }
            piece.clear();
            let chars: Vec<char> = sentence.chars().collect();
            for part in chars.chunks(max) {
                let part: String = part.iter().collect();
                if !part.trim().is_empty() {
                    pieces.push(part.trim().to_string());
                }
            }
            continue;
        }
        if piece.chars().count() + sentence_len > max {
            pieces.push(std::mem::take(&mut piece).trim().to_string());
        }
        piece.push_str(&sentence);
    }
    if !piece.trim().is_empty() {
        pieces.push(piece.trim().to_string());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_paragraphs_are_packed_together() {
        let chunks = chunk("a\n\nb\n\n\nc", 1000);
        assert_eq!(chunks, vec!["a\n\nb\n\nc"]);
    }

    #[test]
    fn chunks_split_on_paragraph_boundaries() {
        let p1 = "x".repeat(600);
        let p2 = "y".repeat(600);
        let chunks = chunk(&format!("{p1}\n\n{p2}"), 1000);
        assert_eq!(chunks, vec![p1, p2]);
    }

    #[test]
    fn long_paragraph_splits_on_sentences_then_hard() {
        let sentence = format!("{}.", "a".repeat(299));
        let paragraph = sentence.repeat(5); // 1,500 chars
        let chunks = chunk(&paragraph, 1000);
        assert_eq!(chunks.len(), 2);
        assert!(chunks.iter().all(|c| c.chars().count() <= 1000));
        assert_eq!(chunks.concat().len(), 1500);

        let wall = "字".repeat(2500);
        let chunks = chunk(&wall, 1000);
        assert_eq!(
            chunks.iter().map(|c| c.chars().count()).collect::<Vec<_>>(),
            vec![1000, 1000, 500]
        );
    }

    #[test]
    fn empty_text_gives_no_chunks() {
        assert!(chunk("  \n\n \n", 1000).is_empty());
    }
}
