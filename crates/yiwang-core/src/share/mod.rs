//! 一网共享: the sharing of the government's data between its departments.
//!
//! Its rules are the 政务信息资源共享管理暂行办法 (国发〔2016〕51号) and the
//! 政务数据共享条例 (国务院令第809号, in force since 2025-08-01): every department
//! lists what it holds in the 政务信息资源目录 ([`catalogue`]), each resource sorted
//! into 无条件共享, 有条件共享 or 不予共享, and into the 开放 classes for the public.

pub mod catalogue;

pub use catalogue::{
    CaseView, Command, Field, FieldType, Frequency, NewResource, OpenClass, Resource, ResourceEntry, ResourceEvent,
    ResourceKind, ResourceStatus, ShareClass, Source, check_resource, key,
};
