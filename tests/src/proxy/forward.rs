//! Passing a request on to the registry behind the proxy over a fresh HTTP/1.1 connection.

use bytes::Bytes;
use hyper::body::{Body, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::serve::BodyError;

/// Sends `request` (whose URI is a path) to `upstream` (`HOST:PORT`) and returns the answer with
/// its body still streaming. The `Host` header is left as the client sent it, so the registry
/// builds the URLs it returns (upload locations) for the proxy's address.
pub(crate) async fn forward<B>(upstream: &str, request: Request<B>) -> Result<Response<Incoming>, BodyError>
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BodyError>,
{
    let stream = tokio::net::TcpStream::connect(upstream).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender.send_request(request).await?)
}
