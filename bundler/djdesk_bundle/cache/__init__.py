"""The build's caches: content-addressed stage trees and remembered file digests."""
