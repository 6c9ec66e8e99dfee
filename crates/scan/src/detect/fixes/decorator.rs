//! Decorator codemod (tenacity / backoff -> the unified decorator).
