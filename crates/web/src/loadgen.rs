//! A minimal HTTP/1.1 keep-alive client for load and crash tests against a
//! server on this machine. It speaks just enough HTTP for our own responses
//! (status line, headers, Content-Length bodies), which keeps the load
//! generator cheap enough to share two cores with the server it measures.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Conn {
    host: String,
    stream: BufReader<TcpStream>,
}

impl Conn {
    pub async fn connect(addr: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            host: addr.to_string(),
            stream: BufReader::new(stream),
        })
    }

    /// Connects from a chosen local address of this machine (127.0.0.2 and
    /// the rest of 127/8 are all this machine): a second client, as the
    /// server sees it, for tests of per-client budgets.
    pub async fn connect_from(addr: &str, local: std::net::IpAddr) -> std::io::Result<Conn> {
        let target: std::net::SocketAddr = addr
            .parse()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::new(local, 0))?;
        let stream = socket.connect(target).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            host: addr.to_string(),
            stream: BufReader::new(stream),
        })
    }

    /// POSTs a form and returns the status code (the body is read and dropped).
    pub async fn post_form(
        &mut self,
        path: &str,
        body: &str,
        timeout: Duration,
    ) -> std::io::Result<u16> {
        Ok(self.send("POST", path, body, "", timeout).await?.0)
    }

    /// Sends a request (`extra` holds whole header lines, each ending in CRLF)
    /// and returns the status and the response's `Set-Cookie` values.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
        extra: &str,
        timeout: Duration,
    ) -> std::io::Result<(u16, Vec<String>)> {
        let (status, cookies, _) = self.exchange(method, path, body, extra, timeout).await?;
        Ok((status, cookies))
    }

    /// As [`Conn::send`], with the response body.
    pub async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: &str,
        extra: &str,
        timeout: Duration,
    ) -> std::io::Result<(u16, Vec<String>, Vec<u8>)> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{extra}\r\n{body}",
            self.host,
            body.len()
        );
        tokio::time::timeout(timeout, async {
            self.stream.get_mut().write_all(req.as_bytes()).await?;
            self.read_response().await
        })
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "response timed out"))?
    }

    /// A request with a body of any bytes and its own content type.
    pub async fn exchange_bytes(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
        extra: &str,
        timeout: Duration,
    ) -> std::io::Result<(u16, Vec<String>, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}\r\n",
            self.host,
            body.len()
        );
        tokio::time::timeout(timeout, async {
            self.stream.get_mut().write_all(head.as_bytes()).await?;
            self.stream.get_mut().write_all(body).await?;
            self.read_response().await
        })
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "response timed out"))?
    }

    async fn read_response(&mut self) -> std::io::Result<(u16, Vec<String>, Vec<u8>)> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        let mut chunked = false;
        let mut cookies = Vec::new();
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("transfer-encoding")
            {
                chunked = v.trim().eq_ignore_ascii_case("chunked");
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("set-cookie")
            {
                cookies.push(v.trim().split(';').next().unwrap_or("").to_string());
            }
        }
        if chunked {
            return Ok((status, cookies, self.read_chunks().await?));
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, cookies, body))
    }

    /// A chunked body (a streamed export): size line, data, CRLF, until 0.
    async fn read_chunks(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size"))?;
            if size == 0 {
                // Trailers (none of ours) end with an empty line.
                loop {
                    line.clear();
                    if self.stream.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                        return Ok(body);
                    }
                }
            }
            let start = body.len();
            body.resize(start + size, 0);
            self.stream.read_exact(&mut body[start..]).await?;
            line.clear();
            self.stream.read_line(&mut line).await?;
        }
    }
}

/// One respondent's path on a phone: the landing page, then each page shown
/// and saved (the server keeps a draft between pages), then the thanks page.
/// `body` holds every answer; each page's save reads its own part. Returns
/// each request's latency, or the first unexpected status.
pub async fn respondent_path(
    conn: &mut Conn,
    code: &str,
    pages: usize,
    body: &str,
    timeout: Duration,
) -> std::io::Result<Result<Vec<Duration>, u16>> {
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut times = Vec::with_capacity(2 * pages + 2);
    let mut steps: Vec<(&str, String, u16)> = vec![("GET", format!("/s/{code}"), 200)];
    for p in 0..pages {
        steps.push(("GET", format!("/s/{code}/q/{p}"), 200));
        steps.push(("POST", format!("/s/{code}/q/{p}"), 303));
    }
    steps.push(("GET", format!("/s/{code}/thanks"), 200));
    for (method, path, expected) in steps {
        let cookie = if jar.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("Cookie: {}\r\n", pairs.join("; "))
        };
        let sent = if method == "POST" { body } else { "" };
        let t = std::time::Instant::now();
        let (status, cookies) = conn.send(method, &path, sent, &cookie, timeout).await?;
        times.push(t.elapsed());
        if status != expected {
            return Ok(Err(status));
        }
        for c in cookies {
            if let Some((k, v)) = c.split_once('=') {
                jar.retain(|(name, _)| name != k);
                jar.push((k.to_string(), v.to_string()));
            }
        }
    }
    Ok(Ok(times))
}

/// Percent-encodes a form value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A whole questionnaire as a form body (without `sid`), answers drawn from `seed`.
pub fn answers_body(fw: &itas_core::Framework, tool: &str, seed: u64) -> String {
    let mut x = seed | 1;
    let mut parts = Vec::new();
    for (it, scale, cells) in itas_core::survey::items(fw, tool) {
        for c in 0..cells {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let o = &scale.options[(x % scale.options.len() as u64) as usize];
            parts.push(format!("{}.{c}={}", enc(&it.code), enc(&o.code)));
        }
    }
    parts.join("&")
}
